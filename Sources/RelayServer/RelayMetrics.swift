import CoreMetrics
import Metrics
import Prometheus
import TakevaultCore

/// The relay's metrics (swift-metrics, exported by swift-prometheus at `/metrics`). Each server has
/// its own registry: nothing is bootstrapped globally, so several servers can share a process.
/// Every series carries the server's `node` label, so the nodes of one vault add up and tell apart.
final class RelayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// The node this server is (`serve --node`).
    let node: String

    /// The node label, then `extra`.
    private func labels(_ extra: (String, String)...) -> [(String, String)] { [("node", node)] + extra }

    init(node: String) {
        self.node = node
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        ]
        self.factory = factory
    }

    /// Uploads by outcome: `accepted`, `duplicate` (an idempotent retry), `refused`.
    func upload(_ outcome: String) {
        Counter(label: "takevault_relay_uploads_total", dimensions: labels(("outcome", outcome)), factory: factory).increment()
    }

    func uploadedBytes(_ bytes: Int64) {
        Counter(label: "takevault_relay_upload_bytes_total", dimensions: labels(), factory: factory).increment(by: bytes)
    }

    /// Refused requests and rejected jobs, by reason code.
    func rejection(_ code: String) {
        Counter(label: "takevault_relay_rejections_total", dimensions: labels(("reason", code)), factory: factory).increment()
    }

    /// Jobs that ended, by final state.
    func jobFinished(_ state: JobState) {
        Counter(label: "takevault_relay_jobs_total", dimensions: labels(("state", state.rawValue)), factory: factory).increment()
    }

    func storeError() {
        Counter(label: "takevault_relay_store_errors_total", dimensions: labels(), factory: factory).increment()
    }

    func queueDepth(queued: Int, processing: Int, parked: Int) {
        Gauge(label: "takevault_relay_queue_depth", dimensions: labels(("state", JobState.queued.rawValue)), factory: factory).record(queued)
        Gauge(label: "takevault_relay_queue_depth", dimensions: labels(("state", JobState.processing.rawValue)), factory: factory).record(processing)
        Gauge(label: "takevault_relay_queue_depth", dimensions: labels(("state", JobState.parked.rawValue)), factory: factory).record(parked)
    }

    func spoolBytes(_ bytes: Int64) {
        Gauge(label: "takevault_relay_spool_bytes", dimensions: labels(), factory: factory).record(bytes)
    }

    /// Time from the request's arrival to its `202`.
    func acknowledgement(_ duration: Duration) {
        Metrics.Timer(label: "takevault_relay_ack_seconds", dimensions: labels(), factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// Time a job spent in a pipeline stage.
    func stage(_ stage: String, _ duration: Duration) {
        Metrics.Timer(label: "takevault_relay_stage_seconds", dimensions: labels(("stage", stage)), factory: factory).recordNanoseconds(duration.nanoseconds)
    }

    /// Artefact requests answered, by artefact and status (`200`, `206`, `304`, `416`).
    func delivery(_ artefact: String, status: Int) {
        Counter(label: "takevault_relay_deliveries_total", dimensions: labels(("artefact", artefact), ("status", String(status))), factory: factory).increment()
    }

    func deliveredBytes(_ bytes: Int64) {
        Counter(label: "takevault_relay_delivered_bytes_total", dimensions: labels(), factory: factory).increment(by: bytes)
    }

    /// Transfers aborted after their headers went out: an integrity failure's code, or `transfer`
    /// (the client went away, the take was deleted meanwhile, the store failed).
    func deliveryFailure(_ code: String) {
        Counter(label: "takevault_relay_delivery_failures_total", dimensions: labels(("reason", code)), factory: factory).increment()
    }

    /// The Prometheus text exposition.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}

extension Duration {
    var nanoseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }
}
