import Foundation

#if FUZZING
    /// libFuzzer's entry point; libFuzzer's own `main` drives it. The target is named by
    /// `PROXY_FUZZ_TARGET` (see `scripts/fuzz.sh`, which also explains the link).
    private let target: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["PROXY_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("PROXY_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
        target.run(UnsafeRawBufferPointer(start: start, count: count))
        return 0
    }
#else
    /// Without the fuzzer: replays every file of `Fuzz/corpus/<target>/` through its target, so
    /// the seeds and every crash ever found stay regression tests.
    @main struct ProxyFuzzReplay {
        static func main() throws {
            let root = URL(fileURLWithPath: CommandLine.arguments.dropFirst().first ?? "Fuzz/corpus")
            var total = 0
            for target in FuzzTarget.allCases {
                let folder = root.appendingPathComponent(target.rawValue)
                let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
                for file in files.sorted(by: { $0.path < $1.path }) {
                    let data = try Data(contentsOf: file)
                    data.withUnsafeBytes { target.run($0) }
                }
                print("\(target.rawValue): \(files.count) inputs replayed")
                total += files.count
            }
            guard total > 0 else {
                FileHandle.standardError.write(Data("no corpus under \(root.path)\n".utf8))
                exit(1)
            }
        }
    }
#endif
