/// A reusable block of decoded audio: planar `Float` channels (full scale ±1) and, for integer PCM
/// uploads, the exact integer samples at the file's own bit depth.
///
/// Allocated once per take by ``AudioFileReader/makeBlock(capacity:)`` and refilled by every
/// ``AudioFileReader/read(into:)``: decoding allocates nothing per block, and memory depends on
/// the block size, never on the take's length. Not thread-safe: one reader fills it, then its
/// consumers read it, then it is refilled.
public final class DecodedBlock {
    /// Channels in the block, in file order.
    public let channels: Int
    /// Frames the block can hold.
    public let capacity: Int
    /// Frames the last read delivered (0 … ``capacity``).
    public internal(set) var frames: Int = 0
    /// Bits per sample of ``integerChannel(_:)``, or `nil` when the upload is not integer PCM.
    public let integerBits: Int?

    let floatStorage: UnsafeMutablePointer<Float>
    let integerStorage: UnsafeMutablePointer<Int32>?
    let floatPointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>
    let integerPointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<Int32>>
    let readonlyFloatPointers: UnsafeMutableBufferPointer<UnsafePointer<Float>>
    let readonlyIntegerPointers: UnsafeMutableBufferPointer<UnsafePointer<Int32>?>

    init(channels: Int, capacity: Int, integerBits: Int?) {
        precondition(channels > 0 && capacity > 0)
        self.channels = channels
        self.capacity = capacity
        self.integerBits = integerBits
        floatStorage = .allocate(capacity: channels * capacity)
        floatStorage.initialize(repeating: 0, count: channels * capacity)
        floatPointers = .allocate(capacity: channels)
        readonlyFloatPointers = .allocate(capacity: channels)
        integerPointers = .allocate(capacity: integerBits == nil ? 0 : channels)
        readonlyIntegerPointers = .allocate(capacity: integerBits == nil ? 0 : channels)
        if integerBits != nil {
            let storage = UnsafeMutablePointer<Int32>.allocate(capacity: channels * capacity)
            storage.initialize(repeating: 0, count: channels * capacity)
            integerStorage = storage
        } else {
            integerStorage = nil
        }
        for channel in 0..<channels {
            floatPointers[channel] = floatStorage + channel * capacity
            readonlyFloatPointers[channel] = UnsafePointer(floatStorage + channel * capacity)
            if let integerStorage {
                integerPointers[channel] = integerStorage + channel * capacity
                readonlyIntegerPointers[channel] = UnsafePointer(integerStorage + channel * capacity)
            }
        }
    }

    deinit {
        floatStorage.deallocate()
        integerStorage?.deallocate()
        floatPointers.deallocate()
        readonlyFloatPointers.deallocate()
        integerPointers.deallocate()
        readonlyIntegerPointers.deallocate()
    }

    /// The decoded samples of `channel` as floats, ``frames`` long.
    public func floatChannel(_ channel: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: floatStorage + channel * capacity, count: frames)
    }

    /// The exact integer samples of `channel` (right-justified, ``integerBits`` wide), ``frames``
    /// long. Empty when the upload is not integer PCM.
    public func integerChannel(_ channel: Int) -> UnsafeBufferPointer<Int32> {
        guard let integerStorage else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: integerStorage + channel * capacity, count: frames)
    }

    /// One pointer per channel to the float samples, for kernels that take planar input.
    public var floatChannels: UnsafeBufferPointer<UnsafePointer<Float>> { UnsafeBufferPointer(readonlyFloatPointers) }

    /// One pointer per channel to the integer samples, in the shape libFLAC's encoder takes.
    /// Empty when the upload is not integer PCM.
    public var integerChannels: UnsafeBufferPointer<UnsafePointer<Int32>?> { UnsafeBufferPointer(readonlyIntegerPointers) }
}
