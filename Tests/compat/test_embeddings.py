"""`POST /v1/embeddings` with the openai SDK's `embeddings.create` (which asks for base64 and
decodes it): passed through to an `openai` provider, translated for a `gemini` one, refused for
an `anthropic` one; counted by quotas and checked against a key's allow-list like a completion.
Google-genai's `embed_content` reaches the same routes through the Gemini door.
"""

import openai
import pytest

INPUTS = ["The food was delicious.", "The waiter was friendly."]


def sdk(gateway, key: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=key or gateway.key, max_retries=0)


@pytest.mark.parametrize("model", ["gpt-embedding-mock", "gemini-embedding-001"])
def test_embeddings_create(gateway, model):
    result = sdk(gateway).embeddings.create(model=model, input=INPUTS)
    assert [item.index for item in result.data] == [0, 1]
    assert all(len(item.embedding) == 16 for item in result.data)
    assert result.data[0].embedding != result.data[1].embedding
    assert result.usage.prompt_tokens > 0
    # The mock's vectors are a function of the text: both routes give the same ones.
    again = sdk(gateway).embeddings.create(model="gpt-embedding-mock", input=INPUTS[0], encoding_format="float")
    assert again.data[0].embedding == pytest.approx(result.data[0].embedding, abs=1e-6)
    assert gateway.last_upstream_request()["body"] == {"model": "gpt-embedding-mock", "input": INPUTS[0], "encoding_format": "float"}


def test_dimensions_reach_gemini(gateway):
    result = sdk(gateway).embeddings.create(model="gemini-embedding-001", input="x", dimensions=4)
    assert len(result.data[0].embedding) == 4
    assert gateway.last_upstream_request()["body"]["requests"][0]["outputDimensionality"] == 4


def test_a_quota_counts_embeddings(gateway):
    key = gateway.create_key(monthly_requests=1)
    sdk(gateway, key).embeddings.create(model="gemini-embedding-001", input="first")
    with pytest.raises(openai.APIStatusError) as refused:
        sdk(gateway, key).embeddings.create(model="gemini-embedding-001", input="second")
    assert refused.value.status_code == 402


def test_a_key_whose_allow_list_omits_the_model_is_refused(gateway):
    key = gateway.create_key(models=["gpt-*"])
    assert sdk(gateway, key).embeddings.create(model="gpt-embedding-mock", input="x").data
    with pytest.raises(openai.PermissionDeniedError):
        sdk(gateway, key).embeddings.create(model="gemini-embedding-001", input="x")


def test_an_anthropic_model_is_refused_with_its_provider_named(gateway):
    with pytest.raises(openai.BadRequestError) as refused:
        sdk(gateway).embeddings.create(model="claude-upstream-mock", input="x")
    assert "anthropic-upstream" in refused.value.message


@pytest.mark.parametrize("model", ["gpt-embedding-mock", "gemini-embedding-001"])
def test_google_genai_embed_content(gateway, model):
    """google-genai's `embed_content` (Gemini's `:batchEmbedContents`): passed through to a
    `gemini` provider, translated to OpenAI's embeddings for an `openai` one; the same vectors."""
    from google import genai
    from google.genai import types

    client = genai.Client(api_key=gateway.key, http_options=types.HttpOptions(base_url=gateway.url, api_version="v1beta"))
    result = client.models.embed_content(model=model, contents=INPUTS, config=types.EmbedContentConfig(output_dimensionality=4))
    assert [len(embedding.values) for embedding in result.embeddings] == [4, 4]
    reference = sdk(gateway).embeddings.create(model="gpt-embedding-mock", input=INPUTS, dimensions=4, encoding_format="float")
    for embedding, expected in zip(result.embeddings, reference.data):
        assert embedding.values == pytest.approx(expected.embedding, abs=1e-6)


def test_google_genai_embed_content_on_an_anthropic_model_is_a_clear_400(gateway):
    from google import genai
    from google.genai import errors, types

    client = genai.Client(api_key=gateway.key, http_options=types.HttpOptions(base_url=gateway.url, api_version="v1beta"))
    with pytest.raises(errors.ClientError) as refused:
        client.models.embed_content(model="claude-upstream-mock", contents="x")
    assert refused.value.code == 400 and "anthropic-upstream" in refused.value.message
