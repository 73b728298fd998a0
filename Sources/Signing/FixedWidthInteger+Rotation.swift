extension FixedWidthInteger where Self: UnsignedInteger {
    /// The bits rotated left by `n` (ROTL in FIPS 180-4 §3.2); `n` must be in `1..<bitWidth`.
    @inline(__always)
    func rotatedLeft(by n: Self) -> Self {
        (self &<< n) | (self &>> (Self(truncatingIfNeeded: Self.bitWidth) &- n))
    }

    /// The bits rotated right by `n` (ROTR in FIPS 180-4 §3.2); `n` must be in `1..<bitWidth`.
    @inline(__always)
    func rotatedRight(by n: Self) -> Self {
        (self &>> n) | (self &<< (Self(truncatingIfNeeded: Self.bitWidth) &- n))
    }
}
