import CMalloc
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(5))) struct MemoryTrimmerTests {
    /// The trimmer silently does nothing where it cannot read the allocator: on this (glibc)
    /// machine both of its readings must work, or it would never release anything.
    @Test func readsTheResidentSetAndTheAllocatorsInUseBytes() throws {
        #if os(Linux)
            let resident = try #require(MemoryTrimmer.residentBytes())
            #expect(resident > 1 << 20)
            let before = cmalloc_in_use_bytes()
            #expect(before > 0)
            // Other tests allocate and free at the same time, so no exact difference holds; but
            // they can free at most what was in use. A block far larger than that (never
            // touched, so it costs no memory) must show in the reading whatever they do.
            let size = 256 << 20
            #expect(before < size)
            let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            defer { block.deallocate() }
            #expect(cmalloc_in_use_bytes() >= size)
        #endif
    }
}
