import NIOCore

/// An upstream body, as an async sequence of whole SSE events.
///
/// Each element is every complete event that had arrived when it was asked for: one slice of the
/// bytes received and where each event ends (see `SSEFramer`, `SSEBatch`), framed once here. It runs in the consumer's task, so no task, hop or
/// buffer is added between the upstream and the client, and cancelling the consumer cancels the
/// upstream read.
public struct SSEEventBatches<Base: AsyncSequence>: AsyncSequence where Base.Element == ByteBuffer {
    public typealias Element = SSEBatch

    /// The upstream ended in the middle of an event.
    public struct Truncated: Error, Sendable {
        public let unfinishedBytes: Int
    }

    let base: Base
    let maximumEventBytes: Int

    public init(_ base: Base, maximumEventBytes: Int = 16 * 1024 * 1024) {
        self.base = base
        self.maximumEventBytes = maximumEventBytes
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), framer: SSEFramer(maximumEventBytes: self.maximumEventBytes))
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        var framer: SSEFramer
        var finished = false

        public mutating func next() async throws -> SSEBatch? {
            while !self.finished {
                if let batch = self.framer.nextBatch() { return batch }
                guard let chunk = try await self.base.next() else {
                    self.finished = true
                    if self.framer.unfinishedBytes > 0 {
                        throw Truncated(unfinishedBytes: self.framer.unfinishedBytes)
                    }
                    return nil
                }
                // The transport's silence tick (see `UpstreamConnectionHandler`): nothing has come
                // for a while, and the reader may want to say so to its client.
                if chunk.readableBytes == 0 { return .silence }
                try self.framer.append(chunk)
            }
            return nil
        }
    }
}

extension SSEEventBatches: Sendable where Base: Sendable {}
