"""A steward's session in a real Neo4j Browser 5.24 (the harness serves it), in headless
Chromium from Debian driven by Playwright, on demo-like data ingested through the service.

The steward connects, drops the API's zip of saved queries onto Browser (one drop: every
query lands in the Favorites folder `identity-graph`), runs `:play` on the guide at the
address `identity-graph serve` printed (127.0.0.1, which Browser fetches from only when it
is on the allowlist of tests/neo4j_server.py), then runs every block of the guide in order
from the guide frame itself, never pinned: the style (`:style http://.../style.grass`), the
:param block that finds its example in the graph, and each saved query, which must return
rows. The guide frame must still be in the stream at the end (Browser keeps 15 frames).
Then each favorite runs from the drawer and returns rows too. Screenshots of the guide and
of every result go to $BROWSER_SCREENSHOTS (default: the test's tmp dir) for a person to
look at: captions, rounded weights, link captions by kind, hubs.

Chromium is /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) or
$CHROMIUM; without it, or without the `playwright` package, the test is skipped, except
under CI=true, where it fails.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from identity_graph.api.routes.guides import SAVED_FOLDER, saved_queries
from identity_graph.service.identity import IdentityService
from identity_graph.stores.neo4j.browser import wrap_caption
from tests.browser_demo import neo4j_demo
from tests.live_server import create_key
from tests.logged_server import live_server
from tests.neo4j_server import auth_from_env

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

# Every runnable block of the guide, in order: (kind, what its frame must show).
# Browser waits this long at most for a frame (a first query plans and warms caches).
FRAME_TIMEOUT_MS = 60_000
# What a finished frame shows: a query's rows (table: "Started streaming", graph:
# "Displaying"), a query without rows, the parameters set, the style it loaded.
DONE_QUERY = r"Started streaming|Displaying \d+ node|no changes, no records"
DONE_PARAM = r"Successfully set your parameters"
DONE_STYLE = r'caption: "HUB'  # the style's last rule, shown in the :style frame
FAILED = r"ERROR|Neo\.ClientError|Neo\.DatabaseError|not allowed|Could not"
ROWS = re.compile(r"Started streaming (\d+) records?|Displaying (\d+) nodes?")
SERVE_PRINTS = re.compile(r"Uvicorn running on (http://\S+)")


def _chromium() -> str:
    """The Chromium executable, or skip (fail under CI=true) when there is none."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -e '.[test]')")
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        missing.append(f"Chromium at {path} (apt-get install chromium, or set CHROMIUM)")
    if missing:
        reason = "Neo4j Browser test needs " + " and ".join(missing)
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium()


@pytest.fixture(scope="module")
def demo(
    chromium: str, neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IdentityService]:
    with neo4j_demo(neo4j_uri, tmp_path_factory.mktemp("browser-ui-demo")) as service:
        yield service


@pytest.fixture(scope="module")
def api(
    demo: IdentityService, neo4j_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`identity-graph serve` on the demo graph; the address it printed."""
    with live_server(neo4j_uri, tmp_path_factory.mktemp("browser-ui-api")) as server:
        printed = [m.group(1) for line in server.log_lines() if (m := SERVE_PRINTS.search(line))]
        assert printed, "serve prints the address it listens on"
        assert printed[0].startswith("http://127.0.0.1:")
        yield printed[0]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _rows(text: str) -> int:
    m = ROWS.search(text)
    return int(m.group(1) or m.group(2)) if m else 0


def test_a_steward_follows_the_guide_and_the_favorites_in_neo4j_browser(
    chromium: str, api: str, neo4j_uri: str, neo4j_http_uri: str, shots: Path
) -> None:
    from playwright.sync_api import Locator, Page, expect, sync_playwright

    zipped = httpx.get(f"{api}/guides/saved-queries.zip", timeout=30).content
    names = {text.splitlines()[0].removeprefix("// ") for text in saved_queries().values()}

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page: Page = browser.new_page(
            viewport={"width": 1600, "height": 1100}, device_scale_factor=2
        )
        frames = page.locator('[data-testid="frame"]')

        def newest() -> Locator:
            return frames.first

        def wait_result(frame: Locator, done: str = DONE_QUERY) -> str:
            """The text of a frame (its command, result and status bar) once its result is
            in: `done` (a JS regex that the command itself never matches)."""
            expect(frame.locator('[data-testid="frameContents"]')).to_be_visible(
                timeout=FRAME_TIMEOUT_MS
            )
            page.wait_for_function(
                f"f => /{done}|{FAILED}/.test(f.innerText)",
                arg=frame.element_handle(),
                timeout=FRAME_TIMEOUT_MS,
            )
            page.wait_for_timeout(1500)  # the graph view's layout settles
            return frame.inner_text()

        def type_command(command: str) -> None:
            page.locator('[data-testid="activeEditor"]').click()
            page.keyboard.insert_text(command)
            page.keyboard.press("Control+Enter")

        # -- connect ----------------------------------------------------------------------
        url = f"{neo4j_http_uri}/browser/?connectURL={neo4j_uri}"
        auth = auth_from_env()
        page.goto(url + ("" if auth else "&preselectAuthMethod=NO_AUTH"))
        if auth:
            page.locator('input[data-testid="username"]').fill(auth[0])
            page.locator('input[data-testid="password"]').fill(auth[1])
            page.locator('button[data-testid="connect"]').click()
        expect(frames.filter(has_text="Connected to Neo4j")).to_have_count(
            1, timeout=FRAME_TIMEOUT_MS
        )

        # -- one drop: the zip of saved queries becomes the favorites folder ---------------
        page.evaluate(
            """([name, data]) => {
                const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
                const dt = new DataTransfer();
                dt.items.add(new File([bytes], name, {type: 'application/zip'}));
                const target = document.querySelector('.filedrop');
                for (const type of ['dragenter', 'dragover', 'drop']) {
                    target.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true}));
                }
            }""",
            ["identity-graph-queries.zip", base64.b64encode(zipped).decode()],
        )
        page.locator('[data-testid="navigationFavorites"]').click()
        folder = page.locator(f'[data-testid="savedScriptsFolder-{SAVED_FOLDER}"]')
        expect(folder).to_be_visible(timeout=FRAME_TIMEOUT_MS)
        folder.locator(f'[data-testid="expandFolder-{SAVED_FOLDER}"]').click()
        titles = folder.locator('[data-testid^="scriptTitle-"]')
        expect(titles).to_have_count(len(names))
        assert set(titles.all_inner_texts()) == names
        page.screenshot(path=shots / "favorites.png")
        page.locator('[data-testid="navigationFavorites"]').click()  # close the drawer

        # -- the guide, at the address serve printed ----------------------------------------
        type_command(f":play {api}/guides/identity-graph.html")
        guide = frames.filter(has=page.locator('[data-testid="carousel"]'))
        expect(guide).to_have_count(1, timeout=FRAME_TIMEOUT_MS)
        assert "No guide by that name" not in guide.inner_text()
        expect(guide.locator("pre.runnable").first).to_be_visible()
        guide.screenshot(path=shots / "guide.png")

        def decide_first_review(table: str) -> str:
            first = re.search(r'^1\s+"([A-Za-z0-9_-]{16,})"', table, re.MULTILINE)
            assert first, f"the pending reviews table shows a pair_id first:\n{table[:2000]}"
            pair = first.group(1)
            headers = {"Authorization": f"Bearer {create_key(neo4j_uri, 'steward')}"}
            r = httpx.post(
                f"{api}/v1/review/{pair}/decision",
                json={"decision": "approve", "comment": "same person (browser test)"},
                headers=headers,
                timeout=60,
            )
            assert r.status_code == 200, r.text
            return pair

        decided = ""
        params: dict[str, str] = {}
        ran: list[tuple[str, str, int]] = []
        slide = 1
        while True:
            guide.screenshot(path=shots / f"guide-{slide:02d}.png")
            blocks = guide.locator("pre.runnable")
            for i in range(blocks.count()):
                block = blocks.nth(i)
                command = block.inner_text().strip()
                before = frames.count()
                block.locator("i.fa-play-circle-o").click()
                frame = newest()
                expect(frame.locator('[data-testid="frameCommand"]')).to_contain_text(
                    command.splitlines()[0][:40], timeout=FRAME_TIMEOUT_MS
                )
                done = {":param": DONE_PARAM, ":style": DONE_STYLE}.get(
                    command.split(" ", 1)[0], DONE_QUERY
                )
                text = wait_result(frame, done)
                name = f"{slide:02d}-{i + 1}"
                frame.screenshot(path=shots / f"block-{name}.png")
                assert not re.search(FAILED, text), (command, text[:2000])
                ran.append((name, command, _rows(text)))
                if command.startswith(":param"):
                    for param in ("type", "value", "person_id", "a", "b"):
                        found = re.search(rf'"{param}": "([^"]+)"', text)
                        assert found, (param, text[:2000])
                        params[param] = found.group(1)
                elif command.startswith(":style"):
                    assert 'caption: "HUB {caption}"' in text, text[:2000]
                else:
                    assert _rows(text) > 0, f"no rows from block {name}: {command}\n{text[:2000]}"
                if command == saved_queries()["person_identifiers_and_links"].strip():
                    # the style's captions, drawn by Browser: the whole email and person ID
                    # (their pieces), links by kind with weights of 3 decimals
                    for whole in (params["value"], params["person_id"]):
                        for piece in wrap_caption(whole).split(" "):
                            assert piece in text, (whole, piece)
                    assert re.search(r"match 0\.\d{3}\b", text) and "seen ×" in text
                    assert not re.search(r"\d\.\d{4,}", text), "a weight of many decimals"
                if command == saved_queries()["hubs"].strip():
                    assert re.search(r"Hub \(\d+\)", text) and "HUB" in text, text[-1500:]
                if command == saved_queries()["pending_reviews"].strip():
                    # As the guide says next: decide one through the API, by the pair_id the
                    # table shows (the steward decisions block then lists the decision).
                    decided = decide_first_review(text)
                assert frames.count() <= max(before + 1, 15)
            after = guide.locator('[data-testid="nextSlide"]')
            if not after.is_visible() or not after.is_enabled():
                break
            position = guide.inner_text()
            after.click()
            slide += 1
            if guide.inner_text() == position:  # the last slide: the button does nothing
                break
        assert decided, "the guide shows the review queue"
        commands = [c for _, c, _ in ran]
        assert sum(c.startswith(":style") for c in commands) == 1
        assert sum(c.startswith(":param") for c in commands) == 1
        assert {c.strip() for c in commands} >= {t.strip() for t in saved_queries().values()}
        # Never pinned: the guide is still in Browser's stream after its last block.
        expect(guide).to_have_count(1)
        page.screenshot(path=shots / "stream.png")

        # -- every favorite runs from the drawer (with the parameters the guide set) --------
        page.locator('[data-testid="navigationFavorites"]').click()
        favorites: dict[str, int] = {}
        for title in sorted(names):
            if not titles.count():  # the drawer opens with the folder collapsed
                folder.locator(f'[data-testid="expandFolder-{SAVED_FOLDER}"]').click()
            item = folder.locator(
                '[data-testid="savedScriptListItem"]',
                has=page.locator(f'[data-testid="scriptTitle-{title}"]'),
            )
            item.hover()
            item.locator(f'[data-testid="navicon-{title}"]').click()
            item.locator('[data-testid="contextMenuRun"]').click()
            frame = newest()
            expect(frame.locator('[data-testid="frameCommand"]')).to_contain_text(
                title, timeout=FRAME_TIMEOUT_MS
            )
            text = wait_result(frame)
            favorites[title] = _rows(text)
        page.screenshot(path=shots / "favorites-run.png")
        browser.close()

    assert all(favorites.values()), f"favorites without rows: {favorites}"
    summary: dict[str, Any] = {"blocks": ran, "favorites": favorites, "screenshots": str(shots)}
    print(summary)
