// Lane-wise helpers for the kernels. The standard library's `pointwiseMax`/`pointwiseMin` are
// generic; the optimiser leaves them as out-of-line calls, which also splits 256-bit vectors into
// 128-bit halves around every call (seen in the true-peak kernel's assembly: 25× slower). These
// concrete versions inline to single AVX instructions.

/// |v| lane by lane.
@inline(__always)
func magnitude(_ v: SIMD4<Float>) -> SIMD4<Float> { lanewiseMax(v, -v) }

@inline(__always)
func magnitude(_ v: SIMD8<Float>) -> SIMD8<Float> { lanewiseMax(v, -v) }

@inline(__always)
func magnitude(_ v: SIMD16<Float>) -> SIMD16<Float> { lanewiseMax(v, -v) }

@inline(__always)
func lanewiseMax(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> SIMD4<Float> { a.replacing(with: b, where: a .< b) }

@inline(__always)
func lanewiseMax(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: a .< b) }

@inline(__always)
func lanewiseMax(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a.replacing(with: b, where: a .< b) }

@inline(__always)
func lanewiseMin(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .< a) }
