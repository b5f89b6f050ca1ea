import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ProxyEngine

/// `/admin/keys`: create (the plaintext key is in that response only), list (never a key or a
/// hash), revoke. Every route needs `Authorization: Bearer <auth.admin_key>`.
struct AdminKeysRoute: Sendable {
    let gateway: Gateway

    private struct CreateKey: Decodable {
        var name: String
        var user: String
        var expires_at: Int?
        var models: [String]?
        var monthly_requests: Int?
        var monthly_tokens: Int?
        var monthly_usd: Double?
    }

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        return try await self.guarded(request) {
            let body = try await self.gateway.collectBody(of: &request)
            let input: CreateKey
            do {
                input = try JSONDecoder().decode(CreateKey.self, from: Data(body.readableBytesView))
            } catch {
                throw GatewayError.badRequest(
                    "The body must have 'name' and 'user' strings; optional 'expires_at', 'models', 'monthly_requests', 'monthly_tokens', 'monthly_usd'."
                )
            }
            guard !input.name.isEmpty else { throw GatewayError.badRequest("'name' must not be empty.") }
            guard self.gateway.authenticator.users[input.user] != nil else {
                throw GatewayError.badRequest("'user' must be a user in [[auth.users]].")
            }
            let (plaintext, key) = VirtualKey.generate(
                name: input.name, user: input.user, now: Int(self.gateway.now()), expiresAt: input.expires_at,
                models: input.models ?? [], monthlyRequests: try VirtualKey.count(input.monthly_requests, "monthly_requests"),
                monthlyTokens: try VirtualKey.count(input.monthly_tokens, "monthly_tokens"),
                monthlyMicrodollars: try VirtualKey.budget(dollars: input.monthly_usd)
            )
            try await self.gateway.store.insert(key)
            self.gateway.authenticator.keys.changed(hash: key.hash, key: key, now: self.gateway.now())
            context.logger.info("virtual key created", metadata: ["key_id": "\(key.id)", "user": "\(key.user)"])
            return Self.json(status: .created, Self.describe(key, plaintext: plaintext))
        }
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.guarded(request) {
            let keys = try await self.gateway.store.keys()
            let lastUsed = try await self.gateway.store.keysLastUsed()
            var json = JSONWriter()
            json.append(#"{"object":"list","data":["#)
            for (index, key) in keys.enumerated() {
                if index > 0 { json.append(",") }
                json.append(String(buffer: Self.describe(key, plaintext: nil, lastUsed: lastUsed[key.id])))
            }
            json.append("]}")
            return Self.json(status: .ok, json.buffer)
        }
    }

    func revoke(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.guarded(request) {
            let id = context.parameters.get("id") ?? ""
            guard let key = try await self.gateway.store.revoke(id: id, at: Int(self.gateway.now())) else {
                throw GatewayError.notFound("No live key has the id '\(id)'.")
            }
            self.gateway.authenticator.keys.changed(hash: key.hash, key: nil, now: self.gateway.now())
            context.logger.info("virtual key revoked", metadata: ["key_id": "\(key.id)"])
            var json = JSONWriter()
            json.append(#"{"id":"#)
            json.appendString(key.id)
            json.append(#","revoked":true}"#)
            return Self.json(status: .ok, json.buffer)
        }
    }

    /// Each field optional: what is present changes. A limit of 0 removes it.
    private struct UpdateKey: Decodable {
        var disabled: Bool?
        var monthly_requests: Int?
        var monthly_tokens: Int?
        var monthly_usd: Double?
        var changesLimits: Bool { self.monthly_requests != nil || self.monthly_tokens != nil || self.monthly_usd != nil }
    }

    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        return try await self.guarded(request) {
            let body = try await self.gateway.collectBody(of: &request)
            guard let input = try? JSONDecoder().decode(UpdateKey.self, from: Data(body.readableBytesView)),
                input.disabled != nil || input.changesLimits
            else {
                throw GatewayError.badRequest(
                    "The body must have one or more of 'disabled' (true | false), 'monthly_requests', 'monthly_tokens', 'monthly_usd'.")
            }
            let id = context.parameters.get("id") ?? ""
            let missing = GatewayError.notFound("No live key has the id '\(id)'.")
            var key: VirtualKey?
            if input.changesLimits {
                guard var current = try await self.gateway.store.keys().first(where: { $0.id == id }) else { throw missing }
                let nonZero = { (value: Int?) in value == 0 ? nil : value }
                if let requests = try VirtualKey.count(input.monthly_requests, "monthly_requests") {
                    current.monthlyRequests = nonZero(requests)
                }
                if let tokens = try VirtualKey.count(input.monthly_tokens, "monthly_tokens") { current.monthlyTokens = nonZero(tokens) }
                if let budget = try VirtualKey.budget(dollars: input.monthly_usd) { current.monthlyMicrodollars = nonZero(budget) }
                key = try await self.gateway.store.setLimits(of: current)
            }
            if let disabled = input.disabled { key = try await self.gateway.store.setDisabled(id: id, disabled) }
            guard let key else { throw missing }
            self.gateway.authenticator.keys.changed(hash: key.hash, key: key, now: self.gateway.now())
            context.logger.info("virtual key updated", metadata: ["key_id": "\(key.id)", "disabled": "\(key.disabled)"])
            return Self.json(status: .ok, Self.describe(key, plaintext: nil))
        }
    }

    private func guarded(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as GatewayError {
            return .error(error, format: .openAI)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The store did not answer: a change to keys must reach every instance, so none is
            // made (the error itself stays in the log, never in the answer).
            Logger(label: "proxy-server").warning("a key change failed: the state store did not answer")
            return .error(
                .storeUnavailable("The state store is unreachable; keys cannot be created or changed until it returns."),
                format: .openAI)
        }
    }

    /// A key as the API shows it: never its hash; its plaintext only in the answer that created it.
    static func describe(_ key: VirtualKey, plaintext: String?, lastUsed: Double? = nil) -> ByteBuffer {
        var json = JSONWriter()
        json.append(#"{"id":"#)
        json.appendString(key.id)
        if let plaintext {
            json.append(#","key":"#)
            json.appendString(plaintext)
        }
        json.append(#","name":"#)
        json.appendString(key.name)
        json.append(#","user":"#)
        json.appendString(key.user)
        json.append(#","prefix":"#)
        json.appendString(key.prefix)
        json.append(#","created_at":"#)
        json.appendInt(key.createdAt)
        json.append(#","expires_at":"#)
        json.append(key.expiresAt.map(String.init) ?? "null")
        json.append(#","models":["#)
        for (index, model) in key.models.enumerated() {
            if index > 0 { json.append(",") }
            json.appendString(model)
        }
        json.append(#"],"monthly_requests":"#)
        json.append(key.monthlyRequests.map(String.init) ?? "null")
        json.append(#","monthly_tokens":"#)
        json.append(key.monthlyTokens.map(String.init) ?? "null")
        json.append(#","monthly_usd":"#)
        json.append(key.monthlyMicrodollars.map(Microdollars.dollars) ?? "null")
        json.append(#","disabled":"#)
        json.append(key.disabled ? "true" : "false")
        json.append(#","last_used_at":"#)
        json.append(lastUsed.map { String(Int($0)) } ?? "null")
        json.append("}")
        return json.buffer
    }

    static func json(status: HTTPResponse.Status, _ body: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
}
