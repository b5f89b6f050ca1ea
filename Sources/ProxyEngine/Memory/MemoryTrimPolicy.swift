/// When to hand freed memory back to the system.
///
/// The C allocator keeps what a burst freed (thousands of ended streams) resident, so a gateway
/// that once held 10,000 streams would look, to its operator and to the OOM killer, as if it
/// still did. Releasing it (`malloc_trim`) walks every heap under its locks, so it is done only
/// when it pays: when the memory resident but not in use has grown by `threshold` since the last
/// release. While a burst is running its memory is in use, so the gap stays flat and nothing is
/// released; once the burst ends the gap opens and one release follows.
public struct MemoryTrimPolicy: Sendable {
    public let threshold: Int
    /// Resident minus in use right after the last release (or at start): what cannot be released
    /// (code, stacks, fragmentation).
    private var baselineGap: Int?

    public init(threshold: Int = 32 << 20) {
        self.threshold = threshold
    }

    /// Whether to release now, given the process's resident bytes and the allocator's in-use bytes.
    public mutating func shouldRelease(residentBytes: Int, inUseBytes: Int) -> Bool {
        let gap = residentBytes - inUseBytes
        guard let baseline = self.baselineGap else {
            self.baselineGap = gap
            return false
        }
        if gap < baseline {
            // Memory went back some other way (or the start was unusually high): measure from here.
            self.baselineGap = gap
            return false
        }
        return gap - baseline >= self.threshold
    }

    /// Records the state right after a release, the new baseline.
    public mutating func released(residentBytes: Int, inUseBytes: Int) {
        self.baselineGap = residentBytes - inUseBytes
    }
}
