import Foundation
import ProxyEngine
import TOMLKit

/// Reads one TOML table for `ConfigLoader`, remembering which keys were read so that a key
/// nobody asked for is reported as unknown rather than silently ignored. Every error names the
/// dotted key it is about.
struct TOMLTableReader {
    let table: TOMLTable
    let path: String
    let environment: [String: String]
    private var readKeys: Set<String> = []

    init(table: TOMLTable, path: String, environment: [String: String]) {
        self.table = table
        self.path = path
        self.environment = environment
    }

    func keyPath(_ key: String) -> String { self.path.isEmpty ? key : "\(self.path).\(key)" }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = self.value(key) else { return nil }
        guard let string = value.string else { throw self.typeError(key, "a string") }
        return try self.substitutingEnvironment(string, key: key)
    }

    mutating func int(_ key: String) throws(ConfigError) -> Int? {
        guard let value = self.value(key) else { return nil }
        if let int = value.int { return int }
        if let string = value.string, let int = Int(try self.substitutingEnvironment(string, key: key)) { return int }
        throw self.typeError(key, "an integer")
    }

    /// A finite number: TOML's `inf` and `nan` (and their spellings in `${ENV}` values) are
    /// refused here, since every number of the configuration is a count, a size or a duration.
    mutating func double(_ key: String) throws(ConfigError) -> Double? {
        guard let value = self.value(key) else { return nil }
        var number: Double?
        if let int = value.int {
            number = Double(int)
        } else if let double = value.double {
            number = double
        } else if let string = value.string {
            number = Double(try self.substitutingEnvironment(string, key: key))
        }
        guard let number else { throw self.typeError(key, "a number") }
        guard number.isFinite else { throw self.typeError(key, "a finite number") }
        return number
    }

    mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = self.value(key) else { return nil }
        guard let bool = value.bool else { throw self.typeError(key, "true or false") }
        return bool
    }

    mutating func stringArray(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = self.value(key) else { return nil }
        guard let array = value.array else { throw self.typeError(key, "an array of strings") }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element.string else {
                throw ConfigError(key: "\(self.keyPath(key))[\(index)]", "must be a string")
            }
            strings.append(try self.substitutingEnvironment(string, key: "\(key)[\(index)]"))
        }
        return strings
    }

    mutating func stringMap(_ key: String) throws(ConfigError) -> [String: String]? {
        guard let nested = try self.table(key) else { return nil }
        var reader = nested
        var map: [String: String] = [:]
        for entry in TOMLMemory.keys(of: nested.table) {
            map[entry] = try reader.string(entry)
        }
        return map
    }

    mutating func table(_ key: String) throws(ConfigError) -> TOMLTableReader? {
        guard let value = self.value(key) else { return nil }
        guard let table = value.table else { throw self.typeError(key, "a table") }
        return TOMLTableReader(table: table, path: self.keyPath(key), environment: self.environment)
    }

    mutating func tableArray(_ key: String) throws(ConfigError) -> [TOMLTableReader]? {
        guard let value = self.value(key) else { return nil }
        guard let array = value.array else { throw self.typeError(key, "an array of tables ([[\(self.keyPath(key))]])") }
        var tables: [TOMLTableReader] = []
        for (index, element) in array.enumerated() {
            guard let table = element.table else {
                throw ConfigError(key: "\(self.keyPath(key))[\(index)]", "must be a table")
            }
            tables.append(TOMLTableReader(table: table, path: "\(self.keyPath(key))[\(index)]", environment: self.environment))
        }
        return tables
    }

    /// Throws for the first key of this table that no reader asked for.
    func rejectUnknownKeys() throws(ConfigError) {
        for key in TOMLMemory.keys(of: self.table).sorted() where !self.readKeys.contains(key) {
            throw ConfigError(key: self.keyPath(key), "unknown key")
        }
    }

    private mutating func value(_ key: String) -> (any TOMLValueConvertible)? {
        self.readKeys.insert(key)
        return self.table[key]
    }

    private func typeError(_ key: String, _ expected: String) -> ConfigError {
        ConfigError(key: self.keyPath(key), "must be \(expected)")
    }

    /// Replaces each `${NAME}` with the environment variable NAME; a missing one is an error.
    private func substitutingEnvironment(_ value: String, key: String) throws(ConfigError) -> String {
        guard value.contains("${") else { return value }
        var result = ""
        var rest = value[...]
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw ConfigError(key: self.keyPath(key), "has an unclosed '${'")
            }
            let name = String(rest[open.upperBound..<close])
            guard let substitute = self.environment[name] else {
                throw ConfigError(key: self.keyPath(key), "refers to the environment variable \(name), which is not set")
            }
            result += substitute
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
