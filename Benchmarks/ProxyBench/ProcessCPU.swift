import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process's user plus system CPU time so far, in seconds, from fields 14 and 15 of
/// `/proc/PID/stat` (utime, stime): what each arm's proxy spent, whatever the other core did.
enum ProcessCPU {
    static func seconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // The split starts at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
