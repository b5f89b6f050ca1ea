import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Byte-level searches over bodies the gateway only scans, never decodes.
public enum ByteSearch {
    /// The first range of `needle` in `bytes` at or after `start`: the C library's `memchr` finds
    /// each candidate first byte many bytes at a time, for the scans made over every relayed event.
    static func firstRange(of needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int? = nil) -> Range<Int>? {
        guard let first = needle.first, let base = bytes.baseAddress else { return nil }
        var offset = start ?? 0
        let last = bytes.count - needle.count
        return needle.withUnsafeBytes { needleBytes -> Range<Int>? in
            while offset <= last {
                guard let found = memchr(base + offset, Int32(first), last - offset + 1) else { return nil }
                offset = UnsafeRawPointer(found) - base
                if memcmp(found, needleBytes.baseAddress!, needle.count) == 0 { return offset..<(offset + needle.count) }
                offset += 1
            }
            return nil
        }
    }

    /// The first range of `needle` in `haystack` at or after `start`.
    static func firstRange<Haystack: RandomAccessCollection<UInt8>>(
        of needle: [UInt8], in haystack: Haystack, from start: Haystack.Index? = nil
    ) -> Range<Haystack.Index>? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var index = start ?? haystack.startIndex
        let last = haystack.index(haystack.endIndex, offsetBy: -needle.count)
        while index <= last {
            if haystack[index] == needle[0] {
                let end = haystack.index(index, offsetBy: needle.count)
                if haystack[index..<end].elementsEqual(needle) { return index..<end }
            }
            index = haystack.index(after: index)
        }
        return nil
    }

    /// The start of the last occurrence of `needle` that ends at or before `end`.
    static func lastIndex<Haystack: RandomAccessCollection<UInt8>>(
        of needle: [UInt8], in haystack: Haystack, endingBefore end: Haystack.Index
    ) -> Haystack.Index? {
        guard !needle.isEmpty, haystack.distance(from: haystack.startIndex, to: end) >= needle.count else { return nil }
        var index = haystack.index(end, offsetBy: -needle.count)
        while true {
            if haystack[index] == needle[0] && haystack[index..<haystack.index(index, offsetBy: needle.count)].elementsEqual(needle) {
                return index
            }
            if index == haystack.startIndex { return nil }
            index = haystack.index(before: index)
        }
    }

    /// The first index at or after `index` that is not JSON white space.
    static func skippingWhitespace<Haystack: RandomAccessCollection<UInt8>>(_ haystack: Haystack, from index: Haystack.Index)
        -> Haystack.Index
    {
        var index = index
        while index < haystack.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(haystack[index]) { index = haystack.index(after: index) }
        return index
    }

    /// Whether `buffer` holds `needle`, searching from its end (where stream markers are).
    public static func contains(_ needle: [UInt8], in buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            self.lastIndex(of: needle, in: bytes, endingBefore: bytes.endIndex) != nil
        }
    }
}
