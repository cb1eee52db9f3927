import TestSupport

/// Planar test buffers with the pointer arrays the kernels take; freed on deinit.
final class PlanarBuffers<Sample> {
    let channels: Int
    let frames: Int
    let pointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<Sample>>

    init(channels: Int, frames: Int, fill: Sample) {
        self.channels = channels
        self.frames = frames
        pointers = .allocate(capacity: channels)
        for channel in 0..<channels {
            pointers[channel] = .allocate(capacity: max(frames, 1))
            pointers[channel].initialize(repeating: fill, count: max(frames, 1))
        }
    }

    deinit {
        for pointer in pointers { pointer.deallocate() }
        pointers.deallocate()
    }

    var mutable: UnsafeBufferPointer<UnsafeMutablePointer<Sample>> { UnsafeBufferPointer(pointers) }

    var readOnly: [UnsafePointer<Sample>] { pointers.map { UnsafePointer($0) } }

    func channel(_ index: Int) -> [Sample] { Array(UnsafeBufferPointer(start: pointers[index], count: frames)) }

    func set(_ index: Int, _ samples: [Sample]) { pointers[index].update(from: samples, count: samples.count) }
}
