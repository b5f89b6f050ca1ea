import ArgumentParser

struct ProxyServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy-server",
        abstract: "An LLM API gateway: OpenAI and Anthropic front doors, any provider behind them.",
        subcommands: [
            ServeCommand.self, CheckConfigCommand.self, HashPasswordCommand.self, KeysCommand.self, UsageCommand.self, AccountsCommand.self,
            OAuthCommand.self, ReloadCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The configuration file (default: $PROXY_CONFIG, then ./config.toml).")
    var config: String?
}
