import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct MemoryTrimPolicyTests {
    static let mb = 1 << 20

    /// One reading, in MB.
    static func release(_ policy: inout MemoryTrimPolicy, resident: Int, inUse: Int) -> Bool {
        policy.shouldRelease(residentBytes: resident * Self.mb, inUseBytes: inUse * Self.mb)
    }

    @Test func releasesOnceWhenABurstsMemoryIsFreedNotWhileItIsInUse() {
        var policy = MemoryTrimPolicy(threshold: 32 * Self.mb)
        // Start: 40 MB resident, 10 MB in use; the first reading only sets the baseline.
        #expect(!Self.release(&policy, resident: 40, inUse: 10))
        // A burst: 200 MB more, all of it in use.
        #expect(!Self.release(&policy, resident: 240, inUse: 210))
        // The burst ends: still resident, no longer in use.
        #expect(Self.release(&policy, resident: 240, inUse: 12))
        policy.released(residentBytes: 60 * Self.mb, inUseBytes: 12 * Self.mb)
        // Nothing new freed since: no second release.
        #expect(!Self.release(&policy, resident: 60, inUse: 12))
        #expect(!Self.release(&policy, resident: 80, inUse: 13))
    }

    @Test func theThresholdIsTheGrowthOfMemoryHeldButNotInUse() {
        var policy = MemoryTrimPolicy(threshold: 32 * Self.mb)
        _ = policy.shouldRelease(residentBytes: 40 * Self.mb, inUseBytes: 10 * Self.mb)
        #expect(!Self.release(&policy, resident: 71, inUse: 10))
        #expect(Self.release(&policy, resident: 72, inUse: 10))
    }

    @Test func aSmallerGapBecomesTheBaseline() {
        var policy = MemoryTrimPolicy(threshold: 32 * Self.mb)
        _ = policy.shouldRelease(residentBytes: 100 * Self.mb, inUseBytes: 10 * Self.mb)
        // The gap fell from 90 MB to 30 MB without a release; growth is measured from 30 MB.
        #expect(!Self.release(&policy, resident: 40, inUse: 10))
        #expect(Self.release(&policy, resident: 72, inUse: 10))
    }
}
