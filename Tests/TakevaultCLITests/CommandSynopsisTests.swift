import Foundation
import Testing
import TestSupport

/// README's command synopsis against the parser itself (`--experimental-dump-help`): every option
/// of every command is shown, and nothing is shown that the command does not take.
@Suite("README's command synopsis")
struct CommandSynopsisTests {
    /// The parts of ArgumentParser's tool description read here.
    struct ToolInfo: Decodable {
        struct Command: Decodable {
            var commandName: String
            var arguments: [Argument]?
            var subcommands: [Command]?
        }
        struct Argument: Decodable {
            struct Name: Decodable {
                var kind: String
                var name: String
            }
            var kind: String
            var names: [Name]?
        }
        var command: Command
    }

    /// Options shown once for all commands rather than on each line (README says so).
    static let sharedOptions: Set<String> = ["--vault", "--store", "--catalog", "--help", "-h"]

    /// Each command path ("owner hold") with the spellings of each of its options.
    static func commands() throws -> [String: [[String]]] {
        let dump = CLI.run("--experimental-dump-help")
        #expect(dump.status == 0)
        let info = try JSONDecoder().decode(ToolInfo.self, from: Data(dump.standardOutput.utf8))
        var result: [String: [[String]]] = [:]
        func walk(_ command: ToolInfo.Command, path: [String]) {
            let subcommands = (command.subcommands ?? []).filter { $0.commandName != "help" }
            if subcommands.isEmpty, !path.isEmpty {
                result[path.joined(separator: " ")] = (command.arguments ?? []).filter { $0.kind != "positional" }.map { argument in
                    (argument.names ?? []).map { $0.kind == "short" ? "-" + $0.name : "--" + $0.name }
                }.filter { !$0.contains(where: sharedOptions.contains) }
            }
            for subcommand in subcommands { walk(subcommand, path: path + [subcommand.commandName]) }
        }
        walk(info.command, path: [])
        return result
    }

    /// README's synopsis entries by command path: a line starting `takevault ` and its indented
    /// continuation lines.
    static func synopsis(paths: Set<String>) throws -> [String: String] {
        let readme = try String(contentsOfFile: RepositoryPaths.root + "/README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## The command line").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        var entries: [String: String] = [:]
        var current: String?
        for line in block.split(separator: "\n").map(String.init) {
            if line.hasPrefix("takevault ") {
                let words = line.dropFirst("takevault ".count).split(separator: " ").map(String.init)
                current = (1...min(2, words.count)).reversed().map { words.prefix($0).joined(separator: " ") }.first(where: paths.contains)
                if let current { entries[current] = line }
            } else if let current, line.hasPrefix(" ") {
                entries[current, default: ""] += " " + line
            }
        }
        return entries
    }

    @Test("every command is in README's synopsis with every option it takes, and no option it does not")
    func synopsisMatchesParser() throws {
        let commands = try Self.commands()
        #expect(commands.count >= 20, "the parser's command tree: \(commands.keys.sorted())")
        let entries = try Self.synopsis(paths: Set(commands.keys))
        for (path, options) in commands.sorted(by: { $0.key < $1.key }) {
            guard let entry = entries[path] else {
                Issue.record("README's synopsis has no line for `takevault \(path)`")
                continue
            }
            let shown = Set(entry.matches(of: /(?:^|[\s\[(|])(--?[a-z][a-z0-9-]*)/).map { String($0.output.1) })
            for spellings in options where !spellings.contains(where: shown.contains) {
                Issue.record("`takevault \(path)` takes \(spellings.joined(separator: "/")), which README's synopsis does not show")
            }
            let known = Set(options.flatMap { $0 }).union(Self.sharedOptions)
            for option in shown.subtracting(known).sorted() {
                Issue.record("README shows \(option) for `takevault \(path)`, which does not take it")
            }
        }
    }
}
