import Foundation

/// The words of a text as SQLite FTS5's `unicode61 remove_diacritics 2` tokenizer reads them,
/// computed in Swift so that PostgreSQL indexes and searches exactly the terms SQLite does (and
/// BM25 counts the same tokens). `KnowledgeBaseTests` checks it against the linked SQLite for
/// every code point of the Basic Multilingual Plane and of the first supplementary plane.
///
/// What unicode61 does, as observed in SQLite 3.40:
/// - A token is a run of token characters: letters, numbers and private-use characters
///   (categories L*, N*, Co) in SQLite's Unicode tables, which are Unicode 6.1's. A code point
///   unassigned there — including every character Unicode added since, and noncharacters — is a
///   token character too. A few characters changed category since 6.1 (`recategorized`).
/// - Inside a token (never at its start), the combining diacritics of `isDiacritic` continue
///   it and are dropped; every other character ends it.
/// - Each character is case-folded (ASCII; simple case folding in the Basic Multilingual Plane,
///   for pairs Unicode 6.1 knew; Deseret), then a letter that is an ASCII letter with
///   diacritics from `isDiacritic` becomes that ASCII letter ("é" → "e", "ǖ" → "u").
enum FTS5Tokenizer {
    /// The tokens of `text`, in order.
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        forEachToken(text) { tokens.append($0) }
        return tokens
    }

    /// Calls `body` with each token of `text`, in order.
    static func forEachToken(_ text: String, _ body: (String) -> Void) {
        var token = String.UnicodeScalarView()
        var inToken = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                // ASCII: letters and digits are token characters, everything else separates.
                let byte = UInt8(value)
                if (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) {
                    token.append(scalar)
                    inToken = true
                } else if byte >= 0x41 && byte <= 0x5A {
                    token.append(Unicode.Scalar(byte + 0x20))
                    inToken = true
                } else if inToken {
                    body(String(token))
                    token = String.UnicodeScalarView()
                    inToken = false
                }
                continue
            }
            if isTokenCharacter(scalar) || (inToken && isDiacritic(value)) {
                if let folded = fold(scalar) { token.append(folded) }
                inToken = true
            } else if inToken {
                body(String(token))
                token = String.UnicodeScalarView()
                inToken = false
            }
        }
        if inToken { body(String(token)) }
    }

    // MARK: - Characters

    /// True for a character that is part of a token (above ASCII).
    static func isTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        // SQLite reads U+FFFE and U+FFFF as U+FFFD, a symbol.
        if value == 0xFFFE || value == 0xFFFF { return false }
        if let changed = recategorized.first(where: { $0.range.contains(value) }) { return changed.isToken }
        let properties = scalar.properties
        guard let age = properties.age, age.major < 6 || (age.major == 6 && age.minor <= 1),
              !properties.isNoncharacterCodePoint else { return true }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .privateUse:
            return true
        default:
            return false
        }
    }

    /// Characters whose category changed since Unicode 6.1, as SQLite still reads them.
    static let recategorized: [(range: ClosedRange<UInt32>, isToken: Bool)] = [
        (0x1885...0x1886, true),    // Mongolian Ali Gali baluda: letters in 6.1, marks since 9.0
        (0x19B0...0x19C0, false),   // New Tai Lue vowel signs: spacing marks in 6.1, letters since 8.0
        (0x19C8...0x19C9, false),   // New Tai Lue tone marks: likewise
        (0x1CF2...0x1CF3, false),   // Vedic signs ardhavisarga, rotated ardhavisarga: marks in 6.1, letters since 10.0
    ]

    /// The combining diacritics that continue a token and are dropped from it: U+0300-0304,
    /// 0306-030C, 030F, 0311, 031B, 0323-0328, 032D-032E, 0330-0331.
    static func isDiacritic(_ value: UInt32) -> Bool {
        switch value {
        case 0x300...0x304, 0x306...0x30C, 0x30F, 0x311, 0x31B, 0x323...0x328, 0x32D...0x32E, 0x330...0x331: true
        default: false
        }
    }

    /// A character (above ASCII) as it is written into a token: nil for a dropped diacritic.
    static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        let value = scalar.value
        if value >= 0x10400 && value < 0x10428 { return Unicode.Scalar(value + 40) }  // Deseret capitals
        guard value < 0x10000 else { return scalar }
        let lower = caseFolded(scalar)
        if isDiacritic(lower.value) { return nil }
        return withoutDiacritics(lower)
    }

    /// Simple case folding, for the case pairs Unicode 6.1 had (both letters in it).
    static func caseFolded(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if let folded = foldedUnlikeLowercase[scalar.value] { return Unicode.Scalar(folded)! }
        let mapping = scalar.properties.lowercaseMapping.unicodeScalars
        guard mapping.count == 1, let lower = mapping.first, lower != scalar, isUnicode61(scalar), isUnicode61(lower) else { return scalar }
        return lower
    }

    /// The letters whose case folding is not their lowercase: µ, ſ, ς and the Greek symbol
    /// variants, ẛ and ι.
    static let foldedUnlikeLowercase: [UInt32: UInt32] = [
        0xB5: 0x3BC, 0x17F: 0x73, 0x3C2: 0x3C3, 0x3D0: 0x3B2, 0x3D1: 0x3B8, 0x3D5: 0x3C6, 0x3D6: 0x3C0,
        0x3F0: 0x3BA, 0x3F1: 0x3C1, 0x3F5: 0x3B5, 0x1E9B: 0x1E61, 0x1FBE: 0x3B9,
    ]

    static func isUnicode61(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major < 6 || (age.major == 6 && age.minor <= 1)
    }

    /// A letter that is an ASCII letter with diacritics (all of them from `isDiacritic`) as
    /// that letter alone, in lowercase ("İ" → "i"). SQLite keeps ǡ (an a with a dot above and a
    /// macron), which its table lacks.
    static func withoutDiacritics(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        let value = scalar.value
        guard value >= 0xC0, value < 0x2000, value != 0x1E0, value != 0x1E1 else { return scalar }
        let decomposed = String(Character(scalar)).decomposedStringWithCanonicalMapping.unicodeScalars
        guard decomposed.count >= 2, let base = decomposed.first, base.isASCII, base.properties.isAlphabetic,
              decomposed.dropFirst().allSatisfy({ isDiacritic($0.value) }) else { return scalar }
        return Unicode.Scalar(UInt8(ascii: "a") + UInt8(base.value | 0x20) - UInt8(ascii: "a"))
    }
}
