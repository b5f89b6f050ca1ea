import HTTPTypes
import Hummingbird
import NIOHTTP1
import ProxyEngine

/// Header conversion across the gateway (Hummingbird's `HTTPFields` ↔ AsyncHTTPClient's
/// `HTTPHeaders`), applying `HeaderPolicy` both ways: conversion alone strips nothing.
enum UpstreamHeaders {
    static func forwarded(from fields: HTTPFields) -> HTTPHeaders {
        let tokens = HeaderPolicy.connectionTokens(fields[values: .connection])
        var headers = HTTPHeaders()
        for field in fields where HeaderPolicy.forwardsRequestHeader(field.name.canonicalName, connectionTokens: tokens) {
            headers.add(name: field.name.canonicalName, value: field.value)
        }
        return headers
    }

    static func relayed(from headers: HTTPHeaders, into fields: inout HTTPFields) {
        let tokens = HeaderPolicy.connectionTokens(headers[canonicalForm: "connection"].map(String.init))
        for (name, value) in headers {
            let lowercased = name.lowercased()
            guard HeaderPolicy.forwardsResponseHeader(lowercased, connectionTokens: tokens),
                let fieldName = HTTPField.Name(lowercased)
            else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
    }
}
