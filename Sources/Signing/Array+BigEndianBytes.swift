extension Array where Element: FixedWidthInteger {
    /// The words serialized most significant byte first, as FIPS 180-4 writes digests.
    var bigEndianBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * Element.bitWidth / 8)
        for word in self {
            for shift in stride(from: Element.bitWidth - 8, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> shift))
            }
        }
        return bytes
    }
}
