import Foundation

/// The partial templates `{% include 'name' %}` and `{% render 'name' %}` can name: a template
/// folder, parsed once. Without one, `include` and `render` are unknown tags.
///
/// `include` renders the partial in the including template's scope: it sees and assigns the
/// same variables, and a `break` in it ends the loop around the `include`. `render` gives the
/// partial a scope of its own: only the arguments it is passed (`render 'card', product:
/// product`), its own counters, and nothing it assigns leaks out. Both take `with value` (or
/// `for array`, once per element) and `as name`, and `name: value` arguments.
public final class TemplatePartials: Sendable {
    /// Each partial's nodes, by name.
    let templates: [String: [TemplateNode]]
    /// Each partial's source, for the line and column of problems met while rendering it.
    let sources: [String: String]
    /// Partials including partials stop this deep, so a partial that includes itself cannot
    /// render for ever.
    public static let maximumDepth = 64

    /// Partials from their sources by name (`"product-card"` for `{% render 'product-card' %}`).
    /// Throws the first parse error, its message naming the partial.
    public init(sources: [String: String]) throws(TemplateError) {
        var templates: [String: [TemplateNode]] = [:]
        for (name, source) in sources {
            do {
                templates[name] = try TemplateParser.parse(Array(source.utf8), partials: .insideLibrary).nodes
            } catch {
                throw TemplateError(line: error.line, column: error.column, message: "partial '\(name)': \(error.message)")
            }
        }
        self.templates = templates
        self.sources = sources
    }

    /// Every `*.liquid` file in `folder` and its subfolders, named by its path below the folder
    /// without the extension (`snippets/card.liquid` is `snippets/card`).
    public convenience init(folder: URL) throws {
        var sources: [String: String] = [:]
        let base = folder.standardizedFileURL.path
        if let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) {
            for case let file as URL in walker where file.pathExtension == "liquid" {
                let path = file.standardizedFileURL.path
                var name = path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : file.lastPathComponent
                name.removeLast(".liquid".count)
                sources[name] = try String(contentsOf: file, encoding: .utf8)
            }
        }
        try self.init(sources: sources)
    }

    /// The nodes of the partial `name` (a trailing `.liquid` is ignored).
    func template(named name: String) -> [TemplateNode]? {
        templates[name] ?? (name.hasSuffix(".liquid") ? templates[String(name.dropLast(".liquid".count))] : nil)
    }
}
