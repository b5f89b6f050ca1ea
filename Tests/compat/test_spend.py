"""Spend seen by the official SDKs: a price on every whole answer, a spent budget as the SDK's
own API error with the code `budget_exceeded`, and a stream cut at its reservation as the SDK's
own stream error."""

import anthropic
import openai
import pytest
from conftest import launch_gateway, stop

# $100 a million tokens in, $1,000 out: a few requests spend cents.
PRICES = """
[prices."gpt-4o-mini"]
input = 100
output = 1000

[prices."claude-*"]
input = 100
cached_input = 10
cache_write = 125
output = 1000
"""

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture(scope="module")
def priced(mock_upstream, tmp_path_factory):
    gateway = launch_gateway(mock_upstream, tmp_path_factory.mktemp("priced"), extra=PRICES)
    yield gateway
    assert stop(gateway.process) == 0


def openai_client(gateway, key) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=key, max_retries=0)


def anthropic_client(gateway, key) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0)


def test_a_whole_answer_carries_its_price(priced):
    raw = openai_client(priced, priced.key).chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=8
    )
    completion = raw.parse()
    usage = completion.usage
    # Rounded up to the micro-dollar: $100/M in, $1,000/M out.
    expected = -(-(usage.prompt_tokens * 100_000_000 + usage.completion_tokens * 1_000_000_000) // 1_000_000)
    assert raw.headers["x-gateway-cost-usd"] == f"{expected / 1e6:.6f}"


def test_a_spent_budget_is_the_openai_sdks_own_api_error(priced):
    key = priced.create_key(monthly_usd=0.000001)
    with pytest.raises(openai.APIStatusError) as raised:
        openai_client(priced, key).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert raised.value.status_code == 402
    assert raised.value.code == "budget_exceeded"
    assert "remains" in raised.value.message
    # A stream is refused the same way, before it starts.
    with pytest.raises(openai.APIStatusError) as streamed:
        openai_client(priced, key).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert streamed.value.status_code == 402 and streamed.value.code == "budget_exceeded"


def test_a_spent_budget_is_the_anthropic_sdks_own_api_error(priced):
    key = priced.create_key(monthly_usd=0.000001)
    for model in ["claude-priced-test", "gpt-4o-mini"]:
        with pytest.raises(anthropic.APIStatusError) as raised:
            anthropic_client(priced, key).messages.create(model=model, max_tokens=64, messages=MESSAGES)
        assert raised.value.status_code == 402
        error = raised.value.body["error"]
        assert error["type"] == "billing_error" and error["code"] == "budget_exceeded"


def test_a_stream_past_its_reservation_ends_in_the_openai_sdks_error(priced):
    key = priced.create_key(monthly_usd=1)
    stream = openai_client(priced, key).chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        max_tokens=20,
        stream=True,
        extra_headers={"x-mock-ignore-max-tokens": "1", "x-mock-chunks": "2000"},
    )
    text = ""
    with pytest.raises(openai.APIError) as raised:
        for chunk in stream:
            text += "".join(choice.delta.content or "" for choice in chunk.choices)
    assert "budget" in str(raised.value)
    assert text.startswith("tok0 ") and "tok1999" not in text


def test_a_stream_past_its_reservation_ends_in_the_anthropic_sdks_error(priced):
    key = priced.create_key(monthly_usd=1)
    client = anthropic_client(priced, key)
    with pytest.raises(anthropic.APIError) as raised:
        with client.messages.stream(
            model="claude-priced-test",
            max_tokens=20,
            messages=MESSAGES,
            extra_headers={"x-mock-ignore-max-tokens": "1", "x-mock-chunks": "2000"},
        ) as stream:
            for _ in stream.text_stream:
                pass
    assert "budget" in str(raised.value)
