import CTOML
import TOMLKit

#if canImport(Glibc)
    import Glibc
#endif

/// Gives back what TOMLKit 0.6 never frees: its C++ core allocates the tree of every parse
/// (`new toml::table`, and no `deinit` deletes it) and a fresh array of copied strings on every
/// `TOMLTable.keys`. A reload is rare, but the fuzzer parses millions of documents, and each
/// leaked its whole tree.
enum TOMLMemory {
    /// `table`'s keys, read through TOMLKit's C core with the copies freed after.
    static func keys(of table: TOMLTable) -> [String] {
        guard let pointer = Self.pointer(of: table) else { return table.keys }
        let count = Int(tableSize(pointer))
        guard count > 0 else { return [] }
        let copies = tableGetKeys(pointer)
        var keys: [String] = []
        keys.reserveCapacity(count)
        for index in 0..<count {
            keys.append(String(cString: copies[index]))
            free(UnsafeMutableRawPointer(mutating: copies[index]))
        }
        free(UnsafeMutableRawPointer(mutating: copies))
        return keys
    }

    /// Frees a parsed document: every node below the root (toml++'s own destructors, through
    /// `clear()`), then the emptied root. Call it once nothing reads the document, or a table
    /// taken from it, any more.
    static func release(_ document: TOMLTable) {
        document.clear()
        // The root came from `operator new`, which is malloc; emptied, its destructor has
        // nothing left to free (its map holds no node, and a document parsed from a string has
        // no source path).
        if let pointer = Self.pointer(of: document) { free(UnsafeMutableRawPointer(pointer)) }
    }

    /// TOMLKit keeps the pointer to its C++ table internal.
    private static func pointer(of table: TOMLTable) -> OpaquePointer? {
        Mirror(reflecting: table).children.first { $0.label == "tablePointer" }?.value as? OpaquePointer
    }
}
