import NIOCore

/// An upstream answer's body: the transport's back-pressured stream of a connection, bytes at
/// hand, or any generated sequence (the in-process mock provider).
///
/// Chunk boundaries are the socket's, not the protocol's: an SSE reader reframes events itself.
public struct UpstreamBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, BodyDemand
    >

    enum Storage: Sendable {
        case connection(Producer, BodyDemand)
        case bytes(ByteBuffer)
        case generated(any AsyncSequence<ByteBuffer, any Error> & Sendable)
    }

    let storage: Storage

    init(connection producer: Producer, demand: BodyDemand) {
        self.storage = .connection(producer, demand)
    }

    /// Stops the body where it is: its connection closes (aborting the upstream's work) and a
    /// read in progress ends with `UpstreamTransportError.closedMidBody`. Safe from any thread,
    /// at any time; nothing happens to a body already read to its end. A body made in memory
    /// or by a sequence has nothing to close.
    public func cancel() {
        if case .connection(_, let demand) = self.storage { demand.didTerminate() }
    }

    /// A body already in memory.
    public static func bytes(_ bytes: ByteBuffer) -> Self { Self(storage: .bytes(bytes)) }

    /// A body made by `sequence`, read lazily in the consumer's task.
    public static func stream<Source: AsyncSequence & Sendable>(_ sequence: Source) -> Self where Source.Element == ByteBuffer {
        Self(storage: .generated(ThrowingSequence(base: sequence)))
    }

    private init(storage: Storage) {
        self.storage = storage
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch self.storage {
        case .connection(let producer, _): AsyncIterator(.connection(producer.makeAsyncIterator()))
        case .bytes(let bytes): AsyncIterator(.bytes(bytes))
        case .generated(let sequence): AsyncIterator(.generated(sequence.makeAsyncIterator()))
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        enum Source {
            case connection(Producer.AsyncIterator)
            case bytes(ByteBuffer?)
            case generated(any AsyncIteratorProtocol<ByteBuffer, any Error>)
        }

        var source: Source

        init(_ source: Source) {
            self.source = source
        }

        public mutating func next() async throws -> ByteBuffer? {
            switch self.source {
            case .connection(let iterator):
                return try await iterator.next()
            case .bytes(let bytes):
                self.source = .bytes(nil)
                return bytes
            case .generated(var iterator):
                defer { self.source = .generated(iterator) }
                return try await iterator.next()
            }
        }
    }

    /// The whole body, refused with `UpstreamTransportError.bodyTooLarge` past `maximumBytes`.
    public func collect(upTo maximumBytes: Int) async throws -> ByteBuffer {
        if case .bytes(let bytes) = self.storage {
            guard bytes.readableBytes <= maximumBytes else { throw UpstreamTransportError.bodyTooLarge }
            return bytes
        }
        var collected: ByteBuffer?
        for try await var chunk in self {
            guard (collected?.readableBytes ?? 0) + chunk.readableBytes <= maximumBytes else {
                throw UpstreamTransportError.bodyTooLarge
            }
            // The first chunk is usually the whole body: keep it instead of copying it.
            if collected == nil { collected = chunk } else { collected!.writeBuffer(&chunk) }
        }
        return collected ?? ByteBuffer()
    }
}

/// Any sequence of buffers, seen as one that may throw (what `UpstreamBody` stores).
private struct ThrowingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    typealias Failure = any Error
    let base: Base

    func makeAsyncIterator() -> Iterator { Iterator(base: self.base.makeAsyncIterator()) }

    struct Iterator: AsyncIteratorProtocol {
        typealias Failure = any Error
        var base: Base.AsyncIterator
        mutating func next() async throws -> ByteBuffer? { try await self.base.next() }
    }
}
