import Foundation

/// Whether a value from `JSONSerialization` was a JSON `true`/`false`. On Linux `1 is Bool`
/// holds for any NSNumber 0 or 1, so `is Bool` cannot tell `"count": 1` from `"count": true`;
/// JSON booleans are the only NSNumbers it makes with the `char` type code.
public func isJSONBoolean(_ value: Any?) -> Bool {
    guard let number = value as? NSNumber else { return false }
    return String(cString: number.objCType) == "c"
}
