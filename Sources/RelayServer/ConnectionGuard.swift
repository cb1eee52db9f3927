import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How long a client may hold a connection without using it, and how many it may hold.
///
/// - a new connection must deliver its first request head within ``headerTimeout``, and a later
///   request's head within ``headerTimeout`` of its first byte;
/// - a kept-alive connection with no request under way is closed after ``idleTimeout``;
/// - a request body must keep arriving at ``minimumBodyBytesPerSecond`` on average, with an
///   allowance of ``bodyStallAllowance``: a body that has kept pace may stall that long, one that
///   never started is closed after it. Only time the server spends waiting for the client counts
///   (while the server is busy writing earlier bytes to disk, the client is not charged);
/// - a response the client stops reading (the socket's send buffer full, nothing drained) is given
///   up after ``sendStallTimeout``: the connection is closed, so a reader that never reads cannot
///   pin the chunks its transfer holds;
/// - at most ``maximumConnections`` connections are open at once; the next is answered `503` and
///   closed.
/// `nil` (or 0 for the rate) turns a limit off.
public struct ConnectionLimits: Sendable, Equatable {
    public var headerTimeout: Duration? = .seconds(10)
    public var idleTimeout: Duration? = .seconds(60)
    public var minimumBodyBytesPerSecond: Int64 = 16 * 1024
    public var bodyStallAllowance: Duration = .seconds(30)
    public var sendStallTimeout: Duration? = .seconds(30)
    public var maximumConnections = 512

    public init() {}
}

/// Counts open connections against ``ConnectionLimits/maximumConnections``. Thread-safe.
final class ConnectionCount: Sendable {
    let limit: Int
    private let open = Mutex(0)

    init(limit: Int) { self.limit = limit }

    /// Takes a place; `false` when all are taken.
    func admit() -> Bool {
        open.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() { open.withLock { $0 -= 1 } }

    var current: Int { open.withLock { $0 } }
}

/// An HTTP/1.1 child channel with the relay's connection limits: Hummingbird's HTTP1 channel with
/// two small handlers around its codec — ``RawConnectionGuard`` in front (raw bytes, read demand,
/// admission) and ``RequestPhaseGuard`` behind (request and response boundaries) — sharing one
/// ``ConnectionWatch`` per connection.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits
    let count: ConnectionCount
    let decoder: HTTP1Channel.Configuration.DecoderConfiguration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let watch = ConnectionWatch(limits: limits)
            try channel.pipeline.syncOperations.addHandler(RawConnectionGuard(watch: watch, count: count, sendStallTimeout: limits.sendStallTimeout), position: .first)
        }.flatMap {
            HTTP1Channel(responder: responder, configuration: .init(
                additionalChannelHandlers: [RequestPhaseGuard()], idleTimeout: nil, httpDecoderConfiguration: decoder)
            ).setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

/// The timers of one connection (see ``ConnectionLimits``). Lives on the connection's event loop;
/// both guards call it from there.
final class ConnectionWatch {
    enum Phase {
        /// Between requests: no byte of the next one yet. `fresh` for a new connection.
        case waiting(fresh: Bool)
        case readingHead
        case readingBody
        /// The request is in; the response is being produced.
        case answering
    }

    let limits: ConnectionLimits
    private(set) var phase = Phase.waiting(fresh: true)
    private var context: ChannelHandlerContext?
    private var deadline: Scheduled<Void>?
    /// Body allowance left, in bytes: grows with each byte received, shrinks at the minimum rate
    /// while the server waits for the client.
    private var credit: Double = 0
    private var waitingSince: NIODeadline?
    private var readOutstanding = false
    private var respondedEarly = false

    init(limits: ConnectionLimits) { self.limits = limits }

    private var bodyAllowanceBytes: Double { Double(limits.minimumBodyBytesPerSecond) * Self.seconds(limits.bodyStallAllowance) }

    func start(_ context: ChannelHandlerContext) {
        self.context = context
        arm(limits.headerTimeout)
    }

    func stop() {
        deadline?.cancel()
        deadline = nil
        context = nil
    }

    /// Raw bytes arrived from the client.
    func bytesArrived(_ count: Int) {
        readOutstanding = false
        switch phase {
        case .waiting(let fresh):
            phase = .readingHead
            if !fresh { arm(limits.headerTimeout) }
        case .readingBody:
            settleWaiting()
            credit = min(credit + Double(count), bodyAllowanceBytes)
        case .readingHead, .answering:
            break
        }
    }

    /// The server asked for more bytes.
    func readRequested() {
        readOutstanding = true
        if case .readingBody = phase { beginWaiting() }
    }

    func headComplete() {
        phase = .readingBody
        respondedEarly = false
        credit = bodyAllowanceBytes
        disarm()
        if readOutstanding { beginWaiting() }
    }

    func requestComplete() {
        settleWaiting()
        disarm()
        if respondedEarly {
            respondedEarly = false
            phase = .waiting(fresh: false)
            arm(limits.idleTimeout)
        } else {
            phase = .answering
        }
    }

    func responseComplete() {
        switch phase {
        case .answering:
            phase = .waiting(fresh: false)
            arm(limits.idleTimeout)
        case .readingBody:
            // Answered before the body was read (a refusal): the rest is drained, still at the minimum rate.
            respondedEarly = true
        default:
            break
        }
    }

    private func beginWaiting() {
        guard limits.minimumBodyBytesPerSecond > 0, waitingSince == nil else { return }
        waitingSince = .now()
        let seconds = max(credit, 0) / Double(limits.minimumBodyBytesPerSecond)
        arm(.nanoseconds(Int64(min(seconds, 86_400) * 1e9)))
    }

    private func settleWaiting() {
        guard let since = waitingSince else { return }
        waitingSince = nil
        let waited = Double((NIODeadline.now() - since).nanoseconds) / 1e9
        credit -= waited * Double(limits.minimumBodyBytesPerSecond)
        disarm()
    }

    private func arm(_ delay: Duration?) {
        disarm()
        guard let delay, let context else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(Self.seconds(delay) * 1e9))) { [weak self] in
            self?.expire()
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }

    private func expire() {
        deadline = nil
        context?.close(promise: nil)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// First in the pipeline: admits the connection (or answers `503` and closes it), counts raw
/// bytes and sees when the server asks for more.
final class RawConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    let watch: ConnectionWatch
    let count: ConnectionCount
    let sendStallTimeout: Duration?
    private var admitted = false
    private var started = false
    /// Armed while the channel is not writable: the client has stopped draining what it was sent.
    private var sendStall: Scheduled<Void>?

    init(watch: ConnectionWatch, count: ConnectionCount, sendStallTimeout: Duration? = nil) {
        self.watch = watch
        self.count = count
        self.sendStallTimeout = sendStallTimeout
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            sendStall?.cancel()
            sendStall = nil
        } else if sendStall == nil, let timeout = sendStallTimeout {
            let channel = context.channel
            sendStall = context.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { channel.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { begin(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        begin(context)
        context.fireChannelActive()
    }

    private func begin(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        guard count.admit() else {
            let busy = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer(string: busy))), promise: nil)
            context.close(promise: nil)
            return
        }
        admitted = true
        watch.start(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        sendStall?.cancel()
        sendStall = nil
        watch.stop()
        if admitted {
            admitted = false
            count.release()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else { return }
        watch.bytesArrived(unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        watch.readRequested()
        context.read()
    }
}

/// Behind the HTTP codec: tells the watch where requests and responses begin and end.
final class RequestPhaseGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var watch: ConnectionWatch?

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        watch = try? context.pipeline.syncOperations.handler(type: RawConnectionGuard.self).watch
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: watch?.headComplete()
        case .body: break
        case .end: watch?.requestComplete()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { watch?.responseComplete() }
        context.write(data, promise: promise)
    }
}
