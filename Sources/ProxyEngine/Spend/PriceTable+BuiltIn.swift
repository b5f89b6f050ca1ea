/// The prices the gateway knows without configuration: published list prices, per million
/// tokens, in US dollars, of the models teams use most. Each row names the page it was read
/// from and the date of that page. `[prices."model"]` in the configuration overrides a row or
/// adds one (see `PriceTable`).
extension PriceTable {
    public static let builtIn: [BuiltInPrice] = [
        // Anthropic. Cache writes are the 5-minute write (1.25x input); 1-hour writes (2x) and fast mode are not modelled.
        // Claude Haiku 5.5 is the price of a prompt of up to 100K tokens.
        BuiltInPrice(
            "claude-3-5-haiku", input: 0.80, cachedInput: 0.08, cacheWrite: 1.00, output: 4.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-07-26"),
        BuiltInPrice(
            "claude-3-7-sonnet", input: 3.00, cachedInput: 0.30, cacheWrite: 3.75, output: 15.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-02-19"),
        BuiltInPrice(
            "claude-fable-5", input: 10.00, cachedInput: 1.00, cacheWrite: 12.50, output: 50.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-fable-5-1", input: 10.00, cachedInput: 0.25, cacheWrite: 12.50, output: 50.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-haiku-4-5", input: 1.00, cachedInput: 0.10, cacheWrite: 1.25, output: 5.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-haiku-5-5", input: 0.10, cachedInput: 0.01, cacheWrite: 0.125, output: 0.50,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-opus-4", input: 15.00, cachedInput: 1.50, cacheWrite: 18.75, output: 75.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-opus-4-1", input: 15.00, cachedInput: 1.50, cacheWrite: 18.75, output: 75.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-opus-4-5", input: 5.00, cachedInput: 0.50, cacheWrite: 6.25, output: 25.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-opus-4-6", input: 5.00, cachedInput: 0.50, cacheWrite: 6.25, output: 25.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-opus-4-7", input: 5.00, cachedInput: 0.50, cacheWrite: 6.25, output: 25.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-opus-4-8", input: 5.00, cachedInput: 0.50, cacheWrite: 6.25, output: 25.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-opus-5", input: 5.00, cachedInput: 0.50, cacheWrite: 6.25, output: 25.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-opus-5-5", input: 4.00, cachedInput: 0.20, cacheWrite: 5.00, output: 20.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-sonnet-4", input: 3.00, cachedInput: 0.30, cacheWrite: 3.75, output: 15.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-sonnet-4-5", input: 3.00, cachedInput: 0.30, cacheWrite: 3.75, output: 15.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-sonnet-4-6", input: 3.00, cachedInput: 0.30, cacheWrite: 3.75, output: 15.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-sonnet-5", input: 2.00, cachedInput: 0.20, cacheWrite: 2.50, output: 10.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        BuiltInPrice(
            "claude-sonnet-5-5", input: 2.00, cachedInput: 0.10, cacheWrite: 2.50, output: 10.00,
            source: "https://platform.claude.com/docs/en/about-claude/pricing", date: "2026-10-24"),
        // DeepSeek. The peak-hour price; off-peak hours bill half. deepseek-chat and deepseek-reasoner were retired on
        // 2026-07-24 and keep their last price.
        BuiltInPrice(
            "deepseek-chat", input: 0.14, cachedInput: 0.0028, output: 0.28,
            source: "https://api-docs.deepseek.com/quick_start/pricing", date: "2026-05-22"),
        BuiltInPrice(
            "deepseek-flash", input: 0.30, cachedInput: 0.006, output: 1.20,
            source: "https://api-docs.deepseek.com/quick_start/pricing", date: "2026-11-15"),
        BuiltInPrice(
            "deepseek-reasoner", input: 0.14, cachedInput: 0.0028, output: 0.28,
            source: "https://api-docs.deepseek.com/quick_start/pricing", date: "2026-05-22"),
        BuiltInPrice(
            "deepseek-v4-flash", input: 0.30, cachedInput: 0.006, output: 1.20,
            source: "https://api-docs.deepseek.com/quick_start/pricing", date: "2026-11-15"),
        BuiltInPrice(
            "deepseek-v4-pro", input: 1.32, cachedInput: 0.044, output: 3.96,
            source: "https://api-docs.deepseek.com/quick_start/pricing", date: "2026-11-15"),
        // Google Gemini API, paid tier. Pro models at the prompt <= 200K tier. Gemini 3.6-3.8 Flash at the list price that
        // applies from 2027-01-01 (Google bills half until 2026-12-31).
        BuiltInPrice(
            "gemini-2.0-flash", input: 0.10, cachedInput: 0.025, output: 0.40,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-07-24"),
        BuiltInPrice(
            "gemini-2.0-flash-lite", input: 0.075, output: 0.30,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-07-24"),
        BuiltInPrice(
            "gemini-2.5-flash", input: 0.30, cachedInput: 0.03, output: 2.50,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-2.5-flash-lite", input: 0.10, cachedInput: 0.01, output: 0.40,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-2.5-pro", input: 1.25, cachedInput: 0.125, output: 10.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-3-flash-preview", input: 0.50, cachedInput: 0.05, output: 3.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-07-24"),
        BuiltInPrice(
            "gemini-3-pro-preview", input: 2.00, cachedInput: 0.20, output: 12.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-07-24"),
        BuiltInPrice(
            "gemini-3.1-flash-lite-preview", input: 0.25, cachedInput: 0.025, output: 1.50,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-07-24"),
        BuiltInPrice(
            "gemini-3.1-pro-preview", input: 2.00, cachedInput: 0.20, output: 12.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-3.5-flash", input: 1.50, cachedInput: 0.15, output: 9.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-3.5-flash-lite", input: 0.30, cachedInput: 0.03, output: 2.50,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-3.6-flash", input: 1.50, cachedInput: 0.15, output: 7.50,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-3.7-flash", input: 1.50, cachedInput: 0.15, output: 7.50,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-3.8-flash", input: 1.50, cachedInput: 0.15, output: 7.50,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-10-07"),
        BuiltInPrice(
            "gemini-4-argon", input: 4.00, cachedInput: 0.20, output: 20.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-12-01"),
        BuiltInPrice(
            "gemini-4-carbon", input: 4.00, cachedInput: 0.20, output: 20.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-12-01"),
        BuiltInPrice(
            "gemini-4-hydrogen", input: 1.50, cachedInput: 0.075, output: 7.50,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-11-12"),
        BuiltInPrice(
            "gemini-4-neon", input: 3.00, cachedInput: 0.15, output: 15.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-11-18"),
        // Embeddings price their input only.
        BuiltInPrice(
            "gemini-embedding-001", input: 0.15, output: 0.00,
            source: "https://ai.google.dev/gemini-api/docs/pricing", date: "2026-12-07"),
        // Mistral La Plateforme.
        BuiltInPrice(
            "codestral-latest", input: 0.30, output: 0.90,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "devstral-medium-latest", input: 0.40, output: 2.00,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "devstral-small-latest", input: 0.10, output: 0.30,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "magistral-medium-latest", input: 2.00, output: 5.00,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "magistral-small-latest", input: 0.50, output: 1.50,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "ministral-3b-latest", input: 0.10, output: 0.10,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "ministral-8b-latest", input: 0.15, output: 0.15,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "mistral-embed", input: 0.10, output: 0.00,
            source: "https://mistral.ai/pricing", date: "2026-07-02"),
        BuiltInPrice(
            "mistral-large-latest", input: 0.50, output: 1.50,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "mistral-medium-3-5", input: 1.50, output: 7.50,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "mistral-medium-3.5", input: 1.50, output: 7.50,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "mistral-medium-latest", input: 1.50, output: 7.50,
            source: "https://mistral.ai/pricing", date: "2026-06-17"),
        BuiltInPrice(
            "mistral-small-latest", input: 0.15, output: 0.60,
            source: "https://mistral.ai/pricing", date: "2026-08-27"),
        // OpenAI, Standard processing, prompts up to 272K tokens. Cache writes (30-minute retention) are billed from GPT-5.6 on.
        BuiltInPrice(
            "gpt-4.1", input: 2.00, cachedInput: 0.50, output: 8.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-4.1-mini", input: 0.40, cachedInput: 0.10, output: 1.60,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-4.1-nano", input: 0.10, cachedInput: 0.025, output: 0.40,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-4o", input: 2.50, cachedInput: 1.25, output: 10.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-4o-mini", input: 0.15, cachedInput: 0.075, output: 0.60,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5", input: 1.25, cachedInput: 0.125, output: 10.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5-mini", input: 0.25, cachedInput: 0.025, output: 2.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5-nano", input: 0.05, cachedInput: 0.005, output: 0.40,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5-pro", input: 15.00, output: 120.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5.1", input: 1.25, cachedInput: 0.125, output: 10.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5.1-codex-mini", input: 0.25, cachedInput: 0.025, output: 2.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5.2", input: 1.75, cachedInput: 0.175, output: 14.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5.2-pro", input: 21.00, output: 168.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5.3-codex", input: 1.75, cachedInput: 0.175, output: 14.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5.4", input: 2.50, cachedInput: 0.25, output: 15.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5.4-mini", input: 0.75, cachedInput: 0.075, output: 4.50,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5.4-nano", input: 0.20, cachedInput: 0.02, output: 1.25,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5.4-pro", input: 30.00, output: 180.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5.5", input: 5.00, cachedInput: 0.50, output: 30.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5.5-pro", input: 30.00, output: 180.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "gpt-5.6", input: 4.00, cachedInput: 0.40, cacheWrite: 5.00, output: 20.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5.6-luna", input: 0.20, cachedInput: 0.02, cacheWrite: 0.25, output: 1.20,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5.6-sol", input: 4.00, cachedInput: 0.40, cacheWrite: 5.00, output: 20.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-5.6-terra", input: 2.00, cachedInput: 0.20, cacheWrite: 2.50, output: 12.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-08-25"),
        BuiltInPrice(
            "gpt-6-astra", input: 10.00, cachedInput: 1.00, cacheWrite: 12.50, output: 50.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-09-03"),
        BuiltInPrice(
            "gpt-6-luna", input: 0.10, cachedInput: 0.01, cacheWrite: 0.125, output: 0.50,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-09-22"),
        BuiltInPrice(
            "gpt-6-sol", input: 2.00, cachedInput: 0.20, cacheWrite: 2.50, output: 10.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-09-22"),
        BuiltInPrice(
            "gpt-6.1-sol", input: 2.00, cachedInput: 0.10, cacheWrite: 2.50, output: 10.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-09-29"),
        BuiltInPrice(
            "gpt-6.1-terra", input: 1.00, cachedInput: 0.05, cacheWrite: 1.25, output: 5.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-10-26"),
        BuiltInPrice(
            "gpt-6.2-astra", input: 8.00, cachedInput: 0.40, cacheWrite: 10.00, output: 40.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-11-17"),
        BuiltInPrice(
            "gpt-6.2-sol", input: 2.00, cachedInput: 0.10, cacheWrite: 2.50, output: 10.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-11-17"),
        BuiltInPrice(
            "o1", input: 15.00, cachedInput: 7.50, output: 60.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "o1-pro", input: 150.00, output: 600.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "o3", input: 2.00, cachedInput: 0.50, output: 8.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "o3-mini", input: 1.10, cachedInput: 0.55, output: 4.40,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "o3-pro", input: 20.00, output: 80.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "o4-mini", input: 1.10, cachedInput: 0.275, output: 4.40,
            source: "https://developers.openai.com/api/docs/pricing", date: "2026-07-11"),
        BuiltInPrice(
            "text-embedding-3-large", input: 0.13, output: 0.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2024-01-25"),
        BuiltInPrice(
            "text-embedding-3-small", input: 0.02, output: 0.00,
            source: "https://developers.openai.com/api/docs/pricing", date: "2024-01-25"),
        // Z.ai (Zhipu GLM), international pricing in USD.
        BuiltInPrice(
            "glm-4.5", input: 0.60, cachedInput: 0.11, output: 2.20,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-4.5-air", input: 0.20, cachedInput: 0.03, output: 1.10,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-4.5-airx", input: 1.10, cachedInput: 0.22, output: 4.50,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-4.5-flash", input: 0.00, output: 0.00,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-4.5-x", input: 2.20, cachedInput: 0.45, output: 8.90,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-4.6", input: 0.60, cachedInput: 0.11, output: 2.20,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-4.7", input: 0.60, cachedInput: 0.11, output: 2.20,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-4.7-flash", input: 0.00, output: 0.00,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-4.7-flashx", input: 0.07, cachedInput: 0.01, output: 0.40,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-5", input: 1.00, cachedInput: 0.20, output: 3.20,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-5-turbo", input: 1.20, cachedInput: 0.24, output: 4.00,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-5.1", input: 1.40, cachedInput: 0.26, output: 4.40,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-5.2", input: 1.40, cachedInput: 0.26, output: 4.40,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-5.3", input: 1.40, cachedInput: 0.26, output: 4.40,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
        BuiltInPrice(
            "glm-5.3-flash", input: 0.15, cachedInput: 0.03, output: 0.50,
            source: "https://docs.z.ai/guides/overview/pricing", date: "2026-08-26"),
    ]
}
