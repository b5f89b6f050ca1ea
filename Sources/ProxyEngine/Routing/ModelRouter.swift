/// Picks the provider for a requested model: aliases first, then glob patterns in the order the
/// providers are configured, so the first provider that claims a model serves it.
///
/// `Target` is what a route leads to: the server's whole provider (config, transport, account
/// pool, pacer), so that no caller looks anything up by index.
public struct ModelRouter<Target: Sendable>: Sendable {
    public struct Route: Sendable {
        /// The provider that serves the model.
        public let provider: Target
        /// The model name to send upstream (the alias target, or the name asked for).
        public let upstreamModel: String
        public var isAliased: Bool { self.upstreamModel != self.requestedModel }
        public let requestedModel: String
        /// What the configuration matched: the alias, or the pattern (the exact model when the
        /// pattern is literal). Metric labels use it, so that clients cannot add series.
        public let configuredName: String
    }

    private let aliases: [String: (provider: Target, target: String)]
    private let patterns: [(glob: ModelGlob, provider: Target)]
    /// Models named exactly (aliases and literal patterns), for `GET /v1/models`.
    public let listedModels: [(id: String, provider: Target)]

    /// Routes to each provider's `Target`, given in the providers' order.
    public init(providers: [(config: ProviderConfig, target: Target)]) {
        var aliases: [String: (provider: Target, target: String)] = [:]
        var patterns: [(glob: ModelGlob, provider: Target)] = []
        var listed: [(id: String, provider: Target)] = []
        var seen: Set<String> = []
        for (provider, index) in providers {
            for (alias, target) in provider.aliases.sorted(by: { $0.key < $1.key }) where aliases[alias] == nil {
                aliases[alias] = (index, target)
                if seen.insert(alias).inserted { listed.append((alias, index)) }
            }
            for pattern in provider.models {
                let glob = ModelGlob(pattern)
                patterns.append((glob, index))
                if glob.isLiteral, seen.insert(pattern).inserted { listed.append((pattern, index)) }
            }
        }
        self.aliases = aliases
        self.patterns = patterns
        self.listedModels = listed
    }

    public func route(model: String) -> Route? {
        if let alias = self.aliases[model] {
            return Route(provider: alias.provider, upstreamModel: alias.target, requestedModel: model, configuredName: model)
        }
        for entry in self.patterns where entry.glob.matches(model) {
            return Route(provider: entry.provider, upstreamModel: model, requestedModel: model, configuredName: entry.glob.pattern)
        }
        return nil
    }
}

extension ModelRouter where Target == Int {
    /// Routes to the providers' indices.
    public init(providers: [ProviderConfig]) {
        self.init(providers: providers.enumerated().map { ($1, $0) })
    }
}
