import ProxyEngine

/// Refuses, with a message naming the line, the two kinds of malformed TOML that make TOMLKit's
/// parser (toml++) abort the process on an assertion instead of reporting a syntax error, both
/// found by the config fuzz target: a table header `[` (or `[[`) followed by anything but a
/// key's first character (`[!]`, `[ é]`), and a `}` inside an array (`d = [}`). Every other
/// syntax error is left to the parser.
///
/// This is not a TOML parser: it only follows strings, comments and the brackets of values.
enum TableHeaderGuard {
    static func check(_ text: String) throws(ConfigError) {
        var line = 1
        var open: [Unicode.Scalar] = []  // brackets and braces of values still open
        var atLineStart = true
        var scalars = text.unicodeScalars[...]
        while let scalar = scalars.first {
            // Multi-line strings first: they may span lines that start with `[`.
            if let delimiter = Self.multiLineDelimiters.first(where: { scalars.starts(with: $0.unicodeScalars) }) {
                scalars = scalars.dropFirst(3)
                while !scalars.isEmpty, !scalars.starts(with: delimiter.unicodeScalars) {
                    if scalars.first == "\\" && delimiter == Self.multiLineDelimiters[0] { scalars = scalars.dropFirst() }
                    if scalars.first == "\n" { line += 1 }
                    scalars = scalars.dropFirst()
                }
                scalars = scalars.dropFirst(3)
                atLineStart = false
                continue
            }
            scalars = scalars.dropFirst()
            switch scalar {
            case "\n":
                line += 1
                atLineStart = true
                continue
            case " ", "\t", "\r":
                continue
            case "#":
                while let next = scalars.first, next != "\n" { scalars = scalars.dropFirst() }
                continue
            case "\"", "'":
                while let next = scalars.first, next != scalar, next != "\n" {
                    scalars = scalars.dropFirst(scalar == "\"" && next == "\\" ? 2 : 1)
                }
                scalars = scalars.dropFirst()
            case "[" where atLineStart && open.isEmpty:
                if scalars.first == "[" { scalars = scalars.dropFirst() }
                while scalars.first == " " || scalars.first == "\t" { scalars = scalars.dropFirst() }
                if let first = scalars.first, !Self.startsKey(first) {
                    throw ConfigError(
                        key: "", "TOML syntax error at line \(line): a table name must start with a letter, a digit, '_', '-' or a quote")
                }
                // The rest of the header is the parser's to judge.
                while let next = scalars.first, next != "\n" { scalars = scalars.dropFirst() }
            case "[", "{":
                open.append(scalar)
            case "}" where open.last == "[":
                throw ConfigError(key: "", "TOML syntax error at line \(line): '}' inside an array")
            case "]", "}":
                _ = open.popLast()
            default:
                break
            }
            atLineStart = false
        }
    }

    private static let multiLineDelimiters = ["\"\"\"", "'''"]

    private static func startsKey(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-", "\"", "'", "]": true
        default: false
        }
    }
}
