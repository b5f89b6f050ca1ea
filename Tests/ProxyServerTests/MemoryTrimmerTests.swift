import CMalloc
import Testing

@testable import ProxyServer

@Suite(.timeLimit(.minutes(1))) struct MemoryTrimmerTests {
    /// The trimmer silently does nothing where it cannot read the allocator: on this (glibc)
    /// machine both of its readings must work, or it would never release anything.
    @Test func readsTheResidentSetAndTheAllocatorsInUseBytes() throws {
        #if os(Linux)
            let resident = try #require(MemoryTrimmer.residentBytes())
            #expect(resident > 1 << 20)
            let before = cmalloc_in_use_bytes()
            #expect(before > 0)
            let block = UnsafeMutableRawPointer.allocate(byteCount: 8 << 20, alignment: 16)
            defer { block.deallocate() }
            #expect(cmalloc_in_use_bytes() >= before + (8 << 20))
        #endif
    }
}
