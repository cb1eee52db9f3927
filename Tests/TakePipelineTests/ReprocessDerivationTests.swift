import AudioCodecs
import AudioDSP
@testable import TakePipeline
import TestSupport
import AudioTestSupport
import Testing

/// Reprocess derives analysis and preview in one read of the master when the recorded analysis
/// still holds, and falls back to levelling by the fresh analysis when it does not.
@Suite("Reprocess derivation")
struct ReprocessDerivationTests {
    private struct Derived {
        var analysis: AnalysisReport
        var preview: PreviewReport
        var previewBytes: [UInt8]
        var waveformBytes: [UInt8]
    }

    private func derive(_ master: String, recorded: AnalysisReport?, in directory: TestDirectory, _ name: String) throws -> Derived {
        let work = directory.file(name)
        try FileIO.makeDirectory(work)
        var settings = PipelineSettings()
        settings.targetLUFS = -14
        let (analysis, preview) = try TakeReprocessor.derive(masterPath: master, work: work, recorded: recorded, settings: settings, take: "take-1")
        return Derived(analysis: analysis, preview: preview, previewBytes: directory.read(work + "/preview.opus"),
                       waveformBytes: directory.read(work + "/waveform.dat"))
    }

    /// A 6-second 24-bit stereo master and its analysis.
    private func master(in directory: TestDirectory) throws -> (path: String, analysis: AnalysisReport) {
        let path = directory.file("master.wav")
        writeWAV(path, channels: toneChannels(2, frames: 48_000 * 6, bits: 24), bits: 24)
        return (path, try FileAnalysis.analyze(path: path).report)
    }

    @Test("one read with the recorded analysis gives the bytes of analysing first and rendering after")
    func fusedEqualsTwoReads() throws {
        let directory = TestDirectory()
        let (master, recorded) = try master(in: directory)

        let fused = try derive(master, recorded: recorded, in: directory, "fused")
        let twoReads = try derive(master, recorded: nil, in: directory, "two-reads")
        #expect(fused.analysis == twoReads.analysis)
        #expect(fused.preview == twoReads.preview)
        #expect(!fused.previewBytes.isEmpty && fused.previewBytes == twoReads.previewBytes)
        #expect(!fused.waveformBytes.isEmpty && fused.waveformBytes == twoReads.waveformBytes)
        let loudness = try #require(recorded.integratedLufs)
        #expect(abs(fused.preview.gainDB - (-14 - loudness)) < 1e-9)
        #expect(abs((fused.preview.integratedLUFS ?? 0) + 14) <= 0.5)
    }

    @Test("a recorded analysis that no longer holds is replaced: the preview is levelled by the fresh one")
    func staleRecordedAnalysis() throws {
        let directory = TestDirectory()
        let (master, actual) = try master(in: directory)
        var stale = actual
        stale.integratedLufs = (actual.integratedLufs ?? 0) - 3     // as if an older meter had read 3 LU low

        let derived = try derive(master, recorded: stale, in: directory, "stale")
        let reference = try derive(master, recorded: nil, in: directory, "reference")
        #expect(derived.analysis == actual)
        #expect(derived.preview == reference.preview)
        #expect(derived.previewBytes == reference.previewBytes)
        #expect(abs((derived.preview.integratedLUFS ?? 0) + 14) <= 0.5)
    }
}
