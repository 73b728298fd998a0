import Foundation

/// FTS5's bm25() ranking (SQLite's `fts5_aux.c`), for computing outside SQLite the scores SQLite
/// gives: for each phrase i of a query, with N articles of which n_i match the phrase, f_i the
/// phrase's occurrences in the article weighted by column, D the article's length in tokens
/// (all columns) and avgdl the average length over all articles,
///
///     score = Σ_i idf_i · f_i·(k1 + 1) / (f_i + k1·(1 − b + b·D/avgdl)),  k1 = 1.2, b = 0.75,
///     idf_i = log((N − n_i + 0.5) / (n_i + 0.5)), or 1e-6 where that is not above 0.
///
/// Each step is written as FTS5's C is, in double precision and in the same order (the sum
/// too, phrase by phrase from 0.0), so the results are the same numbers, not just close ones.
/// SQLite returns the negated score (lower is better); these are positive, as `search` gives them.
enum BM25 {
    static let k1 = 1.2
    static let b = 0.75

    /// A phrase's weight from the number of articles and how many of them match it.
    static func idf(articles: Int, matching: Int) -> Double {
        let idf = log((Double(articles - matching) + 0.5) / (Double(matching) + 0.5))
        return idf <= 0 ? 1e-6 : idf
    }

    /// The average article length in tokens.
    static func averageLength(tokens: Int, articles: Int) -> Double {
        Double(tokens) / Double(articles)
    }

    /// An article's score from its weighted frequency of each phrase (in the query's order,
    /// 0 where it lacks one) and its length.
    static func score<Frequencies: Collection<Double>>(idfs: [Double], frequencies: Frequencies, length: Int, averageLength: Double) -> Double {
        let length = Double(length)
        var score = 0.0
        for (idf, frequency) in zip(idfs, frequencies) {
            score += idf * ((frequency * (k1 + 1.0)) / (frequency + k1 * (1 - b + b * length / averageLength)))
        }
        return score
    }
}
