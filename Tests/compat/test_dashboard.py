"""The admin dashboard in a real headless Chromium, driven through the CONTRACT's data-testid
selectors, against a live gateway and proxy-mock. Run by scripts/browser.sh (which installs
chromium, chromium-driver and selenium when missing); never skipped."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import ADMIN_KEY, launch_gateway, stop

# The README's picture, docs/dashboard.png, is refreshed only when asked for
# (PROXY_DASHBOARD_SCREENSHOT=docs/dashboard.png scripts/browser.sh): a run must leave the tracked
# files as they were. Otherwise the picture goes to the test's temporary folder.
SCREENSHOT_ENV = "PROXY_DASHBOARD_SCREENSHOT"

EXTRA = """
[[auth.users]]
username = "bob"
password = "bob-password"
tier = "basic"

[quota]
flush_interval_seconds = 1

[[providers]]
name = "pool"
kind = "openai"
base_url = "http://127.0.0.1:{mock_port}"
models = ["pool-*"]
max_retries = 0
strategy = "round_robin"
forward_headers = ["x-mock-*"]

[[providers.accounts]]
name = "pool-a"
api_key = "sk-pool-a-0123456789"

[[providers.accounts]]
name = "pool-b"
api_key = "sk-pool-b-0123456789"
"""


def selector(name: str) -> str:
    return f'[data-testid="{name}"]'


def chat(gateway, credential: str, model: str = "gpt-4o-mini", headers: dict | None = None) -> int:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hello"}]}).encode()
    request = urllib.request.Request(
        f"{gateway.url}/v1/chat/completions",
        data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {credential}", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def dashboard_gateway(mock_upstream, tmp_path_factory):
    directory = tmp_path_factory.mktemp("dashboard")
    gateway = launch_gateway(mock_upstream, directory, EXTRA.replace("{mock_port}", str(mock_upstream)))
    yield gateway
    assert stop(gateway.process) == 0


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1900"]:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def month_use(gateway) -> dict[str, tuple[str, int]]:
    """Each user's quota month and the requests counted in it, as /admin/users (the page's source) says."""
    request = urllib.request.Request(f"{gateway.url}/admin/users", headers={"authorization": f"Bearer {ADMIN_KEY}"})
    with urllib.request.urlopen(request) as response:
        return {user["username"]: (user["period"], user["requests"]) for user in json.load(response)["data"]}


def enable_account(gateway, account: str):
    """Puts "provider/account" back in rotation (POST /admin/accounts/{provider}/{account}/enable)."""
    request = urllib.request.Request(
        f"{gateway.url}/admin/accounts/{account}/enable", method="POST", headers={"authorization": f"Bearer {ADMIN_KEY}"}
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def sign_in(browser, gateway, key: str):
    # The stored key is cleared from a page of the same origin that runs no script: cleared under
    # the dashboard, it would go while that page's refresh is under way.
    browser.get(f"{gateway.url}/health")
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"{gateway.url}/dashboard")
    field = browser.find_element(By.CSS_SELECTOR, selector("admin-key"))
    field.clear()
    field.send_keys(key)
    browser.find_element(By.CSS_SELECTOR, selector("sign-in")).click()


def rows(browser, table: str):
    return browser.find_elements(By.CSS_SELECTOR, f"{selector(table)} tbody tr")


def wait(browser, condition, timeout: float = 20):
    # The page refreshes its tables every few seconds: an element read mid-refresh is retried.
    return WebDriverWait(browser, timeout, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda _: condition())


def click_in_row(browser, table: str, text: str, button: str):
    def attempt():
        row = next((r for r in rows(browser, table) if text in r.text), None)
        if row is None:
            return None
        row.find_element(By.CSS_SELECTOR, selector(button)).click()
        return True

    wait(browser, attempt)


def test_a_wrong_admin_key_shows_an_error_and_no_data(dashboard_gateway, browser):
    sign_in(browser, dashboard_gateway, "not-the-admin-key-0000")
    error = wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, selector("sign-in-error")).is_displayed()
                 and browser.find_element(By.CSS_SELECTOR, selector("sign-in-error")))
    assert "Wrong admin key" in error.text
    assert rows(browser, "users-table") == []
    assert not browser.find_element(By.CSS_SELECTOR, selector("users-table")).is_displayed()
    assert browser.execute_script("return sessionStorage.length") == 0


def test_a_page_whose_key_is_gone_signs_out_without_sending_a_wrong_key(dashboard_gateway, browser):
    """Each request sent without the key would be a wrong key counted towards the gateway's
    lock-out of this address (ten in a minute): the page stops instead, and says nothing."""
    sign_in(browser, dashboard_gateway, ADMIN_KEY)
    wait(browser, lambda: len(rows(browser, "users-table")) >= 2)
    browser.execute_script("sessionStorage.clear()")
    panel = browser.find_element(By.ID, "sign-in-panel")
    wait(browser, lambda: panel.is_displayed())  # the next refresh, within three seconds
    assert not browser.find_element(By.CSS_SELECTOR, selector("sign-in-error")).is_displayed()


def test_traffic_from_two_users_shows_in_the_tables_and_the_chart(dashboard_gateway, browser):
    alice, bob = dashboard_gateway.login("alice", "alice-password"), dashboard_gateway.login("bob", "bob-password")
    # Counted from what the users had already used: the other tests of this file (in whatever
    # order they run) use the same gateway.
    before = month_use(dashboard_gateway)
    for _ in range(3):
        assert chat(dashboard_gateway, alice) == 200
    for _ in range(2):
        assert chat(dashboard_gateway, bob) == 200
    assert chat(dashboard_gateway, alice, model="pool-model") == 200
    after = month_use(dashboard_gateway)
    shown = {}
    for user, made, limit in [("alice", 4, "1,000"), ("bob", 2, "500")]:
        (period_before, used_before), (period_after, used_after) = before[user], after[user]
        if period_after == period_before:
            assert used_after == used_before + made, (user, before, after)
        else:  # a quota month began meanwhile: it counts only what came after its start
            assert used_after <= made, (user, before, after)
        shown[user] = f"{used_after:,} / {limit}"
    sign_in(browser, dashboard_gateway, ADMIN_KEY)

    def users():
        found = {row.get_attribute("data-user"): row.text for row in rows(browser, "users-table")}
        return found if all(text in found.get(user, "") for user, text in shown.items()) else None

    found = wait(browser, users)
    assert "pro" in found["alice"] and "basic" in found["bob"]
    # The chart draws bars once the usage records are written (every second in this config).
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, f"{selector('usage-chart')} rect")) > 0)
    every_account = {
        "mock-upstream/acct-1", "slow-upstream/acct-slow", "anthropic-upstream/acct-anthropic", "native-responses/acct-native",
        "gemini-upstream/acct-gemini", "pool/pool-a", "pool/pool-b"}
    accounts = wait(browser, lambda: {row.get_attribute("data-account"): row.text for row in rows(browser, "accounts-table")}
                    if len(rows(browser, "accounts-table")) == len(every_account) else None)
    assert set(accounts) == every_account
    assert all("healthy" in text for text in accounts.values())
    assert browser.execute_script("return document.querySelector('[data-testid=usage-chart]').tagName.toLowerCase()") == "svg"


def test_a_key_created_on_the_page_works_once_shown_and_revoked_from_the_page_is_refused(dashboard_gateway, browser):
    sign_in(browser, dashboard_gateway, ADMIN_KEY)
    wait(browser, lambda: len(rows(browser, "users-table")) >= 2)
    browser.find_element(By.CSS_SELECTOR, selector("new-key-name")).send_keys("from-the-page")
    Select(browser.find_element(By.CSS_SELECTOR, selector("new-key-user"))).select_by_value("alice")
    browser.find_element(By.CSS_SELECTOR, selector("create-key")).click()
    created = wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, selector("created-key")).text.startswith("sk-")
                   and browser.find_element(By.CSS_SELECTOR, selector("created-key")).text)
    assert chat(dashboard_gateway, created) == 200
    wait(browser, lambda: next((r for r in rows(browser, "keys-table") if "from-the-page" in r.text), None))
    table = browser.find_element(By.CSS_SELECTOR, selector("keys-table")).get_attribute("innerHTML")
    assert created not in table and created[3:] not in table
    assert created not in browser.current_url
    click_in_row(browser, "keys-table", "from-the-page", "revoke")
    wait(browser, lambda: not any("from-the-page" in r.text for r in rows(browser, "keys-table")))
    assert chat(dashboard_gateway, created) == 401


def test_an_account_cooled_down_by_an_upstream_429_shows_as_cooling_down(dashboard_gateway, browser, tmp_path, request):
    # Back in rotation afterwards, whatever happens here: the other tests of this file expect
    # every account healthy.
    request.addfinalizer(lambda: [enable_account(dashboard_gateway, account) for account in ("pool/pool-a", "pool/pool-b")])
    user = dashboard_gateway.login("alice", "alice-password")
    assert chat(dashboard_gateway, user, model="pool-model", headers={"x-mock-fault": "429", "x-mock-retry-after": "300"}) == 429
    sign_in(browser, dashboard_gateway, ADMIN_KEY)

    def cooling():
        for row in rows(browser, "accounts-table"):
            state = row.find_elements(By.CSS_SELECTOR, "td[data-state]")
            if state and state[0].get_attribute("data-state") == "cooling-down":
                return row.get_attribute("data-account"), row.text
        return None

    _, text = wait(browser, cooling)
    assert "cooling down until" in text
    # The README's picture: traffic from two users, a key, an account cooling down.
    browser.find_element(By.CSS_SELECTOR, selector("new-key-name")).send_keys("laptop")
    browser.find_element(By.CSS_SELECTOR, selector("create-key")).click()
    wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, selector("created-key")).text.startswith("sk-"))
    browser.find_element(By.ID, "dismiss-key").click()
    wait(browser, lambda: any("laptop" in row.text for row in rows(browser, "keys-table")))
    screenshot = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "dashboard.png")
    assert browser.save_screenshot(str(screenshot)), screenshot


def test_every_resource_comes_from_the_gateways_own_origin(dashboard_gateway, browser):
    sign_in(browser, dashboard_gateway, ADMIN_KEY)
    wait(browser, lambda: len(rows(browser, "users-table")) >= 2)
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources, "the page loads its script, style and API"
    assert all(name.startswith(dashboard_gateway.url + "/") for name in resources), resources
    with urllib.request.urlopen(f"{dashboard_gateway.url}/dashboard") as response:
        policy = response.headers["content-security-policy"]
        page = response.read().decode()
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "http://" not in page and "https://" not in page.replace("http://www.w3.org", "")


def test_recent_requests_say_which_door_they_came_through(dashboard_gateway, browser):
    alice = dashboard_gateway.login("alice", "alice-password")
    assert chat(dashboard_gateway, alice) == 200
    request = urllib.request.Request(
        f"{dashboard_gateway.url}/v1/responses",
        data=json.dumps({"model": "gpt-4o-mini", "input": "hi", "store": False}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {alice}"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    sign_in(browser, dashboard_gateway, ADMIN_KEY)
    # The records are written every second in this config; the table shows the newest 20.
    doors = wait(
        browser,
        lambda: (
            found
            if {"chat", "responses"} <= (found := {row.get_attribute("data-door") for row in rows(browser, "requests-table")})
            else None
        ),
    )
    assert doors <= {"chat", "messages", "responses"}
    texts = [row.text for row in rows(browser, "requests-table")]
    assert any("Responses" in text and "gpt-4o-mini" in text for text in texts)
    assert any("Chat Completions" in text for text in texts)


def test_the_spend_view_shows_dollars_per_user_key_and_model_and_the_unpriced(dashboard_gateway, browser):
    """gpt-4o-mini has a built-in price; a pool-* model has none: it is served, costs nothing and
    is shown as unpriced."""
    alice = dashboard_gateway.login("alice", "alice-password")
    assert chat(dashboard_gateway, alice) == 200
    assert chat(dashboard_gateway, dashboard_gateway.key, model="pool-unpriced") == 200
    sign_in(browser, dashboard_gateway, ADMIN_KEY)

    def spend_rows():
        found = {(row.get_attribute("data-dimension"), row.get_attribute("data-name")): row for row in rows(browser, "spend-table")}
        return found if ("model", "gpt-4o-mini") in found and ("model", "pool-unpriced") in found else None

    found = wait(browser, spend_rows)
    priced = found[("model", "gpt-4o-mini")]
    assert float(priced.find_element(By.CSS_SELECTOR, "td[data-cost]").get_attribute("data-cost")) > 0
    assert "unpriced" in found[("model", "pool-unpriced")].text
    assert ("user", "alice") in found
    # The month's card and the chart in dollars.
    assert wait(browser, lambda: browser.find_element(By.CSS_SELECTOR, selector("month-cost")).text.startswith("$"))
    bars = wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, f"{selector('spend-chart')} rect.bar-cost") or None)
    assert sum(float(bar.get_attribute("data-cost")) for bar in bars) > 0
    # The recent requests: the unpriced one says so, the priced one has its cost.
    texts = [row.text for row in rows(browser, "requests-table")]
    assert any("pool-unpriced" in text and "unpriced" in text for text in texts)
    assert any("gpt-4o-mini" in text and "$" in text for text in texts)
