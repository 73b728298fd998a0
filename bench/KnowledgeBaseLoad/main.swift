// kb-load: knowledge-base search latency and handoff packet build time (bench/kb.sh runs it).
//
//   kb-load [--articles N] [--queries N] [--concurrency C] [--messages M] [--iterations I] [--seed S]
//           [--vocabulary sections|flat] [--database PATH]
//
// 1. Writes N synthetic help-centre articles (default 10,000; English and French, a few hundred
//    shop and customer-support words drawn with a Zipf law) into a fresh database with
//    KnowledgeBase.upsert. With `sections` (the default) each article is mostly about one or two
//    of 15 help-centre sections (orders, delivery, returns...), as in a real help centre; with
//    `flat` every word can be in any article, so the common words are in nearly all of them.
// 2. Times KnowledgeBase.search (limit 3) for N queries (default 5,000) one at a time, both inside
//    the read closure (the search itself) and around `await pool.read` (with the hop to the reader
//    thread and back), then the same queries from C concurrent tasks (default 8).
// 3. Builds the handoff packet (Handoff.previewPacket) of a conversation with an M-message
//    transcript (default 500), I times (default 200), and times two of its parts on their own: the
//    suggestions search (the user's last three messages) and the per-message ISO 8601 times.
// Everything is deterministic for a given seed (our own PRNG, no system randomness). The database
// is a fresh file in a temporary folder, removed at the end; with --database it is created at
// PATH (which must not exist) and kept, to look at query plans afterwards. --database may also be
// a postgres:// URL of an empty database: the same run on PostgreSQL (kept too).
import Bridge
import Foundation
import Storage

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("kb-load: \(message)\n".utf8))
    exit(64)
}

struct Options {
    static let usage = """
        usage: kb-load [--articles N] [--queries N] [--concurrency C] [--messages M] [--iterations I] [--seed S]
                       [--vocabulary sections|flat] [--database PATH]
        """
    var articles = 10_000
    var queries = 5_000
    var concurrency = 8
    var messages = 500
    var iterations = 200
    var seed: UInt64 = 42
    var database: String?
    var flat = false

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var index = 0
        while index + 1 < arguments.count {
            let (name, value) = (arguments[index], arguments[index + 1])
            switch name {
            case "--articles": options.articles = Int(value) ?? 0
            case "--queries": options.queries = Int(value) ?? 0
            case "--concurrency": options.concurrency = Int(value) ?? 0
            case "--messages": options.messages = Int(value) ?? 0
            case "--iterations": options.iterations = Int(value) ?? 0
            case "--seed": options.seed = UInt64(value) ?? 0
            case "--database": options.database = value
            case "--vocabulary" where value == "sections" || value == "flat": options.flat = value == "flat"
            default: return nil
            }
            index += 2
        }
        guard index == arguments.count, options.articles > 0, options.queries > 0, options.concurrency > 0,
              options.messages > 0, options.iterations > 0 else { return nil }
        return options
    }
}

// MARK: - Deterministic synthetic text

/// SplitMix64: small, fast, and the same sequence on every machine for a given seed.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
    /// Uniform in `range` (the modulo bias is irrelevant for ranges this small).
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func chance(_ probability: Double) -> Bool { unit() < probability }
    mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
}

/// Words drawn with a Zipf law (the word of rank r with weight 1/r^s): the first words of a list
/// ("customer", "return") are drawn far more often than the last ones.
struct ZipfWords {
    let words: [String]
    let cumulative: [Double]

    init(_ text: String, exponent: Double = 0.8) {
        words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        var total = 0.0
        cumulative = words.indices.map { rank in
            total += 1 / pow(Double(rank + 1), exponent)
            return total
        }
    }

    func draw(_ rng: inout SplitMix64) -> String {
        let target = rng.unit() * cumulative[cumulative.count - 1]
        var (low, high) = (0, cumulative.count - 1)
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < target { low = middle + 1 } else { high = middle }
        }
        return words[low]
    }
}

/// A help-centre section (its tag) and its own words, most frequent first.
struct Section {
    let tag: String
    let words: ZipfWords
}

/// One language's vocabulary: general support words and the sections' words (each list most
/// frequent first), function words that fill sentences, and the words people start questions
/// with. `flat` is every content word in one Zipf list, without sections.
struct Language {
    let code: String
    let general: ZipfWords
    let sections: [Section]
    let function: [String]
    let question: [String]
    let flat: ZipfWords

    init(code: String, general: String, sections: KeyValuePairs<String, String>, function: String, question: String) {
        self.code = code
        self.general = ZipfWords(general)
        self.sections = sections.map { Section(tag: $0.key, words: ZipfWords($0.value)) }
        self.function = function.split(separator: " ").map(String.init)
        self.question = question.split(separator: " ").map(String.init)
        flat = ZipfWords(([general] + sections.map(\.value)).joined(separator: " "))
    }
}

let english = Language(
    code: "en",
    general: """
        customer service help contact team agent chat phone email question problem issue information days working business \
        hours time date online website product products price available soon within need account order item
        """,
    sections: [
        "orders": "order orders ordered confirmation number status cancel cancelled modify change checkout cart basket quantity items placed history",
        "delivery": """
            delivery deliver delivered shipping shipped dispatch courier carrier parcel package tracking track address postcode \
            express standard next-day weekend slot delayed late arrive arrived neighbour safe-place signature locker
            """,
        "returns": """
            return returns returned label free window condition original packaging unworn unused tags receipt drop-off post \
            office store exchange exchanged wrong size faulty form
            """,
        "refunds": "refund refunded refunds money back credit card original payment method bank processing pending partial full amount statement store-credit voucher",
        "payment": """
            payment pay paid card debit credit paypal klarna instalments declined charged twice authorisation pending bank \
            transfer invoice billing secure 3d-secure currency
            """,
        "account": "account login log sign password reset forgot email verify verification link profile settings details update delete close username two-factor locked",
        "gift-cards": "gift card balance code redeem expire expiry voucher egift pin activate top-up lost stolen physical digital",
        "loyalty": "loyalty points earn redeem reward rewards tier gold silver member membership birthday bonus referral friend expire statement",
        "stores": "store stores shop opening hours location nearest branch click collect pickup counter instore staff appointment parking map",
        "warranty": "warranty guarantee repair repairs broken faulty defective replacement claim proof purchase manufacturer years spare parts centre",
        "app": "app mobile download install update notification notifications iphone android crash crashes version settings wifi scan barcode",
        "promotions": "promotion promo discount code sale offer coupon percent off clearance outlet student newsletter black-friday price-match",
        "size-guide": "size sizes guide fit fitting small large medium measurements chart shoes clothing length waist chest inside leg",
        "privacy": "privacy data personal information cookies consent gdpr marketing emails unsubscribe request copy erase policy third-party",
        "subscriptions": "subscription subscribe monthly plan renew renewal cancel pause skip delivery frequency trial billing upgrade downgrade",
    ],
    function: "the a to your you we of and in for is it on with this that can be will if or not are our at by from as an have has all any when",
    question: "how do I where is my can I why what when does the to my please help need want hello"
)

let french = Language(
    code: "fr",
    general: """
        client service aide contacter équipe conseiller discussion téléphone courriel question problème souci information jours \
        ouvrés heures délai date site internet produit produits prix disponible bientôt besoin compte commande article
        """,
    sections: [
        "commandes": "commande commandes commandé confirmation numéro statut annuler annulée modifier changer validation panier quantité articles passée historique",
        "livraison": """
            livraison livrer livré expédition expédier expédié envoi transporteur colis paquet suivi suivre adresse code-postal \
            express standard lendemain samedi créneau retard retardé arrivé voisin signature consigne point-relais
            """,
        "retours": """
            retour retours retourner étiquette gratuit délai état d'origine emballage porté utilisé étiquettes ticket dépôt \
            bureau poste magasin échange échanger mauvaise taille défectueux formulaire
            """,
        "remboursements": "remboursement rembourser remboursé argent crédit carte moyen paiement banque traitement attente partiel total montant relevé avoir bon",
        "paiement": """
            paiement payer payé carte débit crédit paypal klarna plusieurs fois refusé débité deux autorisation attente virement \
            facture facturation sécurisé 3d-secure devise
            """,
        "compte": """
            compte connexion connecter identifiant mot-de-passe réinitialiser oublié courriel vérifier vérification lien profil \
            paramètres coordonnées modifier supprimer fermer bloqué double authentification
            """,
        "cartes-cadeaux": "carte cadeau solde code utiliser expiration expirer bon e-carte pin activer recharger perdue volée physique numérique",
        "fidélité": "fidélité points cumuler utiliser récompense récompenses niveau or argent membre adhésion anniversaire bonus parrainage ami expirer relevé",
        "magasins": "magasin magasins boutique horaires ouverture adresse proche agence retrait drive comptoir vendeur rendez-vous parking plan",
        "garantie": "garantie garanti réparation réparer cassé panne défectueux remplacement réclamation preuve achat fabricant ans pièces détachées sav",
        "application": "application mobile télécharger installer mise-à-jour notification notifications iphone android plantage plante version paramètres wifi scanner code-barres",
        "promotions": "promotion promo réduction code soldes offre coupon pourcentage remise déstockage étudiant lettre d'information black-friday alignement prix",
        "guide-des-tailles": "taille tailles guide coupe essayage petit grand moyen mesures tableau chaussures vêtements longueur tour poitrine entrejambe",
        "confidentialité": "confidentialité données personnelles informations cookies consentement rgpd marketing courriels désabonner demande copie effacer politique tiers",
        "abonnements": "abonnement abonner mensuel formule renouveler renouvellement résilier suspendre sauter livraison fréquence essai facturation changer",
    ],
    function: "le la les de des du un une et à pour votre vous nous est en dans sur avec ce cette qui que par pas plus il ne se au aux si ou",
    question: "comment je veux où est ma mon pourquoi quand puis-je est-ce que bonjour merci aide"
)

/// Where the content words of an article, a query or a chat message come from. With sections:
/// 55 % from the main section, 15 % from a second one (else the main one again), 30 % general
/// support words, so an article about returns is mostly about returns, as in a real help
/// centre. Without (the flat vocabulary): every content word from one Zipf list, so the common
/// words are in nearly every article of the language (the worst case for BM25, see bench/README.md).
struct WordSource {
    let language: Language
    let main: Section?
    let second: Section?

    /// A main section and, with probability `mixed`, a second one; or the flat vocabulary.
    static func random(_ language: Language, flat: Bool, mixed: Double, _ rng: inout SplitMix64) -> WordSource {
        guard !flat else { return WordSource(language: language, main: nil, second: nil) }
        let main = rng.pick(language.sections)
        let other = rng.chance(mixed) ? rng.pick(language.sections) : main
        return WordSource(language: language, main: main, second: other.tag == main.tag ? nil : other)
    }

    func draw(_ rng: inout SplitMix64) -> String {
        guard let main else { return language.flat.draw(&rng) }
        let u = rng.unit()
        if u < 0.55 { return main.words.draw(&rng) }
        if u < 0.7 { return (second ?? main).words.draw(&rng) }
        return language.general.draw(&rng)
    }
}

/// A sentence of `count` words, 45 % of them function words ("the", "your", "de"), about their
/// share in real prose.
func sentence(_ source: WordSource, words count: Int, _ rng: inout SplitMix64) -> String {
    var words: [String] = []
    words.reserveCapacity(count)
    while words.count < count {
        words.append(rng.chance(0.45) ? rng.pick(source.language.function) : source.draw(&rng))
    }
    let text = words.joined(separator: " ")
    return text.prefix(1).uppercased() + text.dropFirst() + "."
}

/// Article `index`: locale en or fr (alternating), title 4–10 words, body 80–300 words in
/// paragraphs, 2–4 tags (its sections first).
func makeArticle(_ index: Int, flat: Bool, _ rng: inout SplitMix64) -> (Article, words: Int) {
    let language = index % 2 == 0 ? english : french
    let source = WordSource.random(language, flat: flat, mixed: 0.4, &rng)
    let titleWords = rng.int(4...10)
    var title = (0..<titleWords).map { position in
        position > 0 && rng.chance(0.2) ? rng.pick(language.function) : source.draw(&rng)
    }.joined(separator: " ")
    title = title.prefix(1).uppercased() + title.dropFirst()
    let target = rng.int(80...300)
    var paragraphs: [String] = []
    var written = 0
    while written < target {
        var paragraph: [String] = []
        for _ in 0..<rng.int(2...5) where written < target {
            let length = min(target - written, rng.int(6...16))
            paragraph.append(sentence(source, words: length, &rng))
            written += length
        }
        paragraphs.append(paragraph.joined(separator: " "))
    }
    var tags = [source.main, source.second].compactMap { $0?.tag }
    let tagCount = rng.int(2...4)
    while tags.count < tagCount {
        let tag = rng.pick(language.sections).tag
        if !tags.contains(tag) { tags.append(tag) }
    }
    let id = "kb-\(index)"
    return (Article(id: id, locale: language.code, title: title, body: paragraphs.joined(separator: "\n\n"),
                    url: "https://help.example.com/\(language.code)/\(id)", tags: tags), titleWords + target)
}

/// A search as a user or a bot would send it: 2–8 words about one section (sometimes two), a
/// quarter of them question words ("how do I", "où est"); some capitalised or shouted, French
/// ones sometimes typed without accents; locale en, fr, fr-CA (searched as fr-CA then fr) or
/// none (all articles).
struct Query: Sendable {
    var text: String
    var locale: String?
    var words: Int
}

func makeQuery(flat: Bool, _ rng: inout SplitMix64) -> Query {
    let draw = rng.unit()
    let locale: String? = draw < 0.45 ? "en" : draw < 0.75 ? "fr" : draw < 0.85 ? "fr-CA" : nil
    let language = locale == "en" || (locale == nil && rng.chance(0.5)) ? english : french
    let source = WordSource.random(language, flat: flat, mixed: 0.25, &rng)
    let count = rng.int(2...8)
    var text = (0..<count).map { _ in rng.chance(0.25) ? rng.pick(language.question) : source.draw(&rng) }
        .joined(separator: " ")
    let casing = rng.unit()
    if casing < 0.1 { text = text.uppercased() } else if casing < 0.35 { text = text.prefix(1).uppercased() + text.dropFirst() }
    if language.code == "fr", rng.chance(0.3) { text = text.folding(options: .diacriticInsensitive, locale: nil) }
    if rng.chance(0.2) { text += "?" }
    return Query(text: text, locale: locale, words: count)
}

// MARK: - Timing

func nanoseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    Double(nanoseconds(ContinuousClock.now - start)) / 1e9
}

/// The value at quantile `q` (0...1) of sorted nanoseconds, by nearest rank, in milliseconds.
func percentile(_ sorted: [Int64], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return Double(sorted[min(sorted.count, max(1, rank)) - 1]) / 1e6
}

/// "count=… p50=… p90=… p99=… max=… ms" for a list of nanoseconds.
func summary(_ values: [Int64]) -> String {
    let sorted = values.sorted()
    return String(format: "count=%d p50=%.3f p90=%.3f p99=%.3f max=%.3f ms", sorted.count,
                  percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99), percentile(sorted, 1))
}

// MARK: - Main

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())) else { fail(Options.usage) }
let directory = NSTemporaryDirectory() + "botbridge-kb-load-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
if let path = options.database, FileManager.default.fileExists(atPath: path) { fail("\(path) exists; give a new path") }
let location = try DatabaseConfiguration.Location(options.database ?? directory + "/kb.sqlite")
let pool = try await DatabasePool.open(DatabaseConfiguration(location: location, migrations: BridgeSchema.migrations))
let onPostgres = if case .postgres = location { true } else { false }
let now = Int64(Date().timeIntervalSince1970 * 1000)

// 1. The articles, written in transactions of 500 (as an import of a large folder would).
var rng = SplitMix64(state: options.seed)
var articles: [Article] = []
var totalWords = 0
for index in 0..<options.articles {
    let (article, words) = makeArticle(index, flat: options.flat, &rng)
    articles.append(article)
    totalWords += words
}
let fillStart = ContinuousClock.now
for chunk in stride(from: 0, to: articles.count, by: 500) {
    let slice = Array(articles[chunk..<min(articles.count, chunk + 500)])
    _ = try await pool.write { db in try KnowledgeBase.upsert(slice, in: db, now: now) }
}
let fillSeconds = seconds(since: fillStart)
let (perLocale, databaseBytes) = try await pool.read { db in
    (try KnowledgeBase.counts(in: db), try db.scalar(onPostgres ? "SELECT pg_database_size(current_database())"
                                                                 : "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").int ?? 0)
}
print(String(format: "articles: %d (%@), %@ vocabulary, %d words, written in %.2f s (%.0f articles/s), database %.1f MiB",
             articles.count, perLocale.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
             options.flat ? "flat" : "sections", totalWords, fillSeconds, Double(articles.count) / fillSeconds, Double(databaseBytes) / 1_048_576))
articles = []
if case .postgres(let address) = location {
    // Index-only scans of kb_postings need its visibility map, which autovacuum writes soon after
    // an import (and a deployment searches for days after one): VACUUM now, outside a transaction.
    let vacuumStart = ContinuousClock.now
    let connection = try PostgresConnection(address: address, connectTimeout: .seconds(10), queryTimeout: .seconds(300))
    try connection.execute("VACUUM (ANALYZE) kb_postings")
    connection.close()
    print(String(format: "VACUUM kb_postings (as autovacuum does after an import): %.1f s", seconds(since: vacuumStart)))
}

// 2. Searches. A warm-up pass (not counted) fills the readers' page caches.
let queries = (0..<options.queries).map { _ in makeQuery(flat: options.flat, &rng) }
// KB_LOAD_QUERIES=PATH writes the queries (locale, tab, text) for experiments outside this tool.
if let path = ProcessInfo.processInfo.environment["KB_LOAD_QUERIES"] {
    let lines = queries.map { ($0.locale ?? "") + "\t" + $0.text + "\n" }.joined()
    _ = FileManager.default.createFile(atPath: path, contents: Data(lines.utf8))
}
/// One search on a reader: (time inside the closure, time around the await, number of results).
@Sendable func timedSearch(_ query: Query) async throws -> (inside: Int64, outside: Int64, hits: Int) {
    let start = ContinuousClock.now
    let (inside, hits) = try await pool.read { db in
        let start = ContinuousClock.now
        let hits = try KnowledgeBase.search(query.text, locale: query.locale, limit: 3, in: db).count
        return (nanoseconds(ContinuousClock.now - start), hits)
    }
    return (inside, nanoseconds(ContinuousClock.now - start), hits)
}
for query in queries.prefix(500) { _ = try await timedSearch(query) }

var inside: [Int64] = []
var outside: [Int64] = []
var empty = 0
let sequentialStart = ContinuousClock.now
for query in queries {
    let result = try await timedSearch(query)
    inside.append(result.inside)
    outside.append(result.outside)
    if result.hits == 0 { empty += 1 }
}
let sequentialSeconds = seconds(since: sequentialStart)
print("search, one at a time (\(queries.count) queries, limit 3, \(empty) without results, "
      + String(format: "%.0f searches/s):", Double(queries.count) / sequentialSeconds))
print("  inside read   " + summary(inside))
print("  await read    " + summary(outside))
// Which query shapes cost most: by number of words, by locale filter, and the slowest queries.
print("  by words (inside read):")
for count in 2...8 {
    let times = queries.indices.filter { queries[$0].words == count }.map { inside[$0] }
    if !times.isEmpty { print("    \(count) words  " + summary(times)) }
}
print("  by locale (inside read):")
for locale in ["en", "fr", "fr-CA", nil] as [String?] {
    let times = queries.indices.filter { queries[$0].locale == locale }.map { inside[$0] }
    if !times.isEmpty { print("    " + (locale ?? "any").padding(toLength: 7, withPad: " ", startingAt: 0) + summary(times)) }
}
print("  slowest (inside read):")
for index in queries.indices.sorted(by: { inside[$0] > inside[$1] }).prefix(5) {
    print(String(format: "    %7.3f ms  %@  \"%@\"", Double(inside[index]) / 1e6, queries[index].locale ?? "any", queries[index].text))
}
let sequentialP99 = percentile(outside.sorted(), 0.99)

// The same queries from several tasks at once (the pool has two reader threads by default).
let concurrentStart = ContinuousClock.now
let concurrent = try await withThrowingTaskGroup(of: [Int64].self) { group in
    for task in 0..<options.concurrency {
        group.addTask {
            var times: [Int64] = []
            for index in stride(from: task, to: queries.count, by: options.concurrency) {
                times.append(try await timedSearch(queries[index]).outside)
            }
            return times
        }
    }
    var all: [Int64] = []
    for try await times in group { all += times }
    return all
}
let concurrentSeconds = seconds(since: concurrentStart)
print(String(format: "search, %d concurrent tasks, %d reader threads: %.0f searches/s", options.concurrency,
             onPostgres ? pool.configuration.postgres.readers : pool.configuration.readerCount, Double(concurrent.count) / concurrentSeconds))
print("  await read    " + summary(concurrent))

// 3. The handoff packet of a conversation with a long transcript about a return and its refund:
// user messages of 3–20 words, bot answers of 10–40, alternating, written directly in the tables.
let channel = "wa"
let topic = options.flat ? WordSource(language: english, main: nil, second: nil)
    : WordSource(language: english, main: english.sections.first { $0.tag == "returns" }, second: english.sections.first { $0.tag == "refunds" })
let transcript: [(user: Bool, text: String)] = (0..<options.messages).map { sequence in
    let user = sequence % 2 == 0
    return (user, sentence(topic, words: user ? rng.int(3...20) : rng.int(10...40), &rng))
}
let conversationID = try await pool.write { db -> Int64 in
    let userID = try db.scalar("INSERT INTO users (external_id, created_at, updated_at) VALUES ('bench-user', ?, ?) RETURNING id", now, now).int64 ?? 0
    for (name, value) in [("first_name", "\"Camille\""), ("plan", "\"gold\""), ("language", "\"en\"")] {
        try db.run("INSERT INTO user_attributes (user_id, name, value, source, updated_at) VALUES (?, ?, ?, 'api', ?)", userID, name, value, now)
    }
    let identityID = try db.scalar("""
        INSERT INTO identities (user_id, channel, address, display_name, created_at) VALUES (?, ?, 'whatsapp:+33600000000', 'Camille', ?)
        RETURNING id
        """, userID, channel, now).int64 ?? 0
    let conversationID = try db.scalar("""
        INSERT INTO conversations (public_id, channel, user_id, identity_id, state, locale, last_inbound_at, next_sequence, created_at, updated_at)
        VALUES ('conv_bench', ?, ?, ?, 'bot', 'en', ?, ?, ?, ?) RETURNING id
        """, channel, userID, identityID, now, transcript.count + 1, now, now).int64 ?? 0
    for (index, message) in transcript.enumerated() {
        try db.run("""
            INSERT INTO messages (public_id, conversation_id, sequence, direction, author_kind, text, channel, status, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, "msg_bench_\(index + 1)", conversationID, index + 1, message.user ? "inbound" : "outbound", message.user ? "user" : "bot",
                   message.text, channel, message.user ? "received" : "delivered", now - Int64(transcript.count - index) * 1000)
    }
    return conversationID
}
let configuration = GatewayConfiguration()
let signal = EscalationSignal(detector: "bench", reason: "bench")
// The suggestions part of the packet: the same search Handoff runs on the last three user messages.
let suggestionText = transcript.filter(\.user).suffix(3).reversed().map(\.text).joined(separator: " ")
var packetInside: [Int64] = []
var packetOutside: [Int64] = []
var suggestionInside: [Int64] = []
var timestamps: [Int64] = []
var packetBytes = 0
for iteration in 0..<(options.iterations + 20) {  // the first 20 are a warm-up
    let start = ContinuousClock.now
    let (elapsed, bytes) = try await pool.read { db in
        let start = ContinuousClock.now
        let packet = try Handoff.previewPacket(conversationID: conversationID, signal: signal, configuration: configuration, in: db)
        return (nanoseconds(ContinuousClock.now - start), packet.utf8.count)
    }
    let outside = nanoseconds(ContinuousClock.now - start)
    let search = try await pool.read { db in
        let start = ContinuousClock.now
        _ = try KnowledgeBase.search(suggestionText, locale: "en", limit: 3, in: db)
        return nanoseconds(ContinuousClock.now - start)
    }
    // The packet's other per-message cost: one ISO 8601 time per transcript message.
    let formatStart = ContinuousClock.now
    for index in transcript.indices { _ = DeliveryView.time(now - Int64(index) * 1000) }
    let formatting = nanoseconds(ContinuousClock.now - formatStart)
    guard iteration >= 20 else { continue }
    packetInside.append(elapsed)
    packetOutside.append(outside)
    suggestionInside.append(search)
    timestamps.append(formatting)
    packetBytes = bytes
}
print("handoff packet, \(transcript.count)-message transcript, \(options.iterations) builds, \(packetBytes) bytes of JSON:")
print("  inside read   " + summary(packetInside))
print("  await read    " + summary(packetOutside))
print("  of which the suggestions search (last 3 user messages, \(suggestionText.split(separator: " ").count) words):")
print("                " + summary(suggestionInside))
print("  of which \(transcript.count) message times (DeliveryView.time):")
print("                " + summary(timestamps))

await pool.close()
print(String(format: "goal: search p99 < 5 ms (one at a time, await read): %.3f ms, %@", sequentialP99, sequentialP99 < 5 ? "met" : "NOT met"))
