"""Credentials as the anthropic SDK and Claude Code send them (x-api-key or bearer) are accepted,
on the chat route too (the Messages route is exercised in test_translation_matrix.py).
"""

import json
import urllib.error
import urllib.request

import anthropic


def post(url: str, headers: dict) -> int:
    body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(url, data=body, headers={**headers, "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_anthropic_sdks_own_auth_headers_authenticate(gateway):
    # Depending on its version the SDK sends the key as x-api-key or as a bearer token.
    sdk = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    headers = {name: value for name, value in sdk.auth_headers.items() if isinstance(value, str)}
    assert headers
    assert post(f"{gateway.url}/v1/chat/completions", headers) == 200


def test_x_api_key_as_claude_code_sends_it(gateway):
    assert post(f"{gateway.url}/v1/chat/completions", {"x-api-key": gateway.key}) == 200
    assert post(f"{gateway.url}/v1/chat/completions", {"x-api-key": "sk-wrong"}) == 401


def test_the_anthropic_sdk_lists_and_retrieves_models(gateway):
    """`models.list()` pages on Anthropic's `has_more`/`last_id` and reads `display_name`;
    `models.retrieve()` finds a listed name and a name a pattern matches, and 404s another."""
    sdk = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    models = list(sdk.models.list())
    assert "gpt-4o" in {model.id for model in models}
    assert all(model.type == "model" and model.display_name == model.id for model in models)
    assert sdk.models.retrieve("claude-upstream-mock").id == "claude-upstream-mock"
    try:
        sdk.models.retrieve("llama-3")
        raise AssertionError("an unknown model was found")
    except anthropic.NotFoundError:
        pass
