"""Headless Chromium (Debian's chromium and chromium-driver) driven by selenium, and a
page helper whose waits fail with what was expected, where, and a screenshot."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

MISSING = (
    "chromium/chromedriver not installed: `make test` installs Debian's chromium and "
    "chromium-driver when run as root with apt-get (else: apt-get install chromium chromium-driver)"
)
# Without the background-networking flags Chromium's own connections to the closed network fail.
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1600,1000",
)


def binaries() -> tuple[str, str] | None:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@contextmanager
def chromium(binary: str, driver: str) -> Iterator[WebDriver]:
    with tempfile.TemporaryDirectory(prefix="pms-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary  # given, so selenium never looks for a browser to download
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        browser = webdriver.Chrome(options=options, service=Service(driver))
        try:
            yield browser
        finally:
            browser.quit()


class Page:
    """One browser on one Dagster webserver; screenshots go to `shots`."""

    def __init__(self, browser: WebDriver, base_url: str, shots: Path) -> None:
        self.browser, self.base_url, self.shots = browser, base_url, shots
        shots.mkdir(parents=True, exist_ok=True)

    def open(self, path: str) -> None:
        self.browser.get(self.base_url + path)

    def text(self) -> str:
        return self.browser.find_element(By.TAG_NAME, "body").text

    def wait_for(
        self, expected: str, found: Callable[[WebDriver], object], timeout_s: float,
        reload_every_s: float | None = None,
    ) -> object:
        """Wait until `found` returns something truthy, dismissing the "Join the Dagster
        community" dialog of a fresh instance and reloading every `reload_every_s`."""
        last_load = time.monotonic()

        def check(browser: WebDriver) -> object:
            nonlocal last_load
            self._skip_community_dialog()
            if reload_every_s and time.monotonic() - last_load > reload_every_s:
                browser.refresh()
                last_load = time.monotonic()
            try:
                return found(browser)
            except WebDriverException:  # an element replaced while the page renders
                return None

        try:
            return WebDriverWait(self.browser, timeout_s, poll_frequency=0.5).until(check)
        except TimeoutException:
            shot = self.screenshot("FAILED-" + re.sub(r"\W+", "-", expected)[:60])
            raise AssertionError(
                f"expected {expected} on {self.browser.current_url} within {timeout_s:.0f}s; "
                f"screenshot {shot}; the page said:\n{self.text()[:2000]}"
            ) from None

    def wait_for_text(self, expected: str, pattern: str, timeout_s: float,
                      reload_every_s: float | None = None) -> re.Match:
        return self.wait_for(expected, lambda _: re.search(pattern, self.text()), timeout_s,
                             reload_every_s)

    def click_button(self, label: str, timeout_s: float = 30) -> None:
        button = self.wait_for(f"a {label!r} button", lambda b: next(
            (e for e in b.find_elements(By.XPATH, f"//button[normalize-space()='{label}']")
             if e.is_displayed()), None), timeout_s)
        button.click()

    def screenshot(self, name: str) -> Path:
        if self._skip_community_dialog():
            time.sleep(1)  # its closing animation
        path = self.shots / f"{name}.png"
        self.browser.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path

    def _skip_community_dialog(self) -> bool:
        for button in self.browser.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
            if button.is_displayed():
                button.click()
                return True
        return False
