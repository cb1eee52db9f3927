import NIOPosix

/// Threads of its own for the pipeline's CPU-bound work (decoding, DSP, encoding run for seconds
/// without suspending). Running it here keeps Swift's cooperative pool — one thread per core, which
/// also serves every HTTP request — free, so uploads are acknowledged while takes are processed.
/// It lives as long as the process.
final class PipelineExecutor: TaskExecutor, Sendable {
    private let pool: NIOThreadPool

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A job must run even if the pool is shutting down: the task it belongs to waits on it.
        pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
