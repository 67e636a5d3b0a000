#!/usr/bin/env python3
"""Headless Chromium driven over the DevTools protocol, for callgauge's HTML report.

Used by tests/html_report.rs, docs/screenshots.sh and benches/report_html.py. It talks to
Debian's `chromium` through `--remote-debugging-pipe` (NUL-separated JSON on file descriptors
3 and 4), so it needs no websocket library and no package beyond the standard library.

    browser.py check  PAGE [--eval JS] [--print-width PX]   → JSON on stdout
    browser.py shot   PAGE OUT.png [--width W] [--height H] [--full | --selector CSS]
    browser.py pdf    PAGE OUT.pdf

`check` loads the page and reports: the load time, every request the page made (URL and
scheme), console messages, uncaught exceptions, the value of `--eval` (a JS expression
evaluated after load; JSON-serialisable), and with `--print-width` the elements that stick out
of a printed page of that CSS width (print media emulated). Every host name resolves to nothing
(`--host-resolver-rules`), so a page that tried the network would show the request and fail.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


class Browser:
    def __init__(self, width=1280, height=900):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            sys.exit("browser.py: chromium is not installed (./setup.sh installs it)")
        self.profile = tempfile.mkdtemp(prefix="callgauge-chromium-")
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # Move the child's ends out of the way of 3 and 4 before placing them there.
        hi_r = os.dup2(to_chrome_r, 100)
        hi_w = os.dup2(from_chrome_w, 101)

        def place():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [
            exe, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
            f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--allow-file-access-from-files",
            f"--window-size={width},{height}", "about:blank",
        ]
        self.proc = subprocess.Popen(args, preexec_fn=place, pass_fds=(3, 4),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in (to_chrome_r, from_chrome_w, hi_r, hi_w):
            os.close(fd)
        self.w = os.fdopen(to_chrome_w, "wb", buffering=0)
        self.r = os.fdopen(from_chrome_r, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _read(self, timeout=60):
        deadline = time.time() + timeout
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = self.r.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            msg["sessionId"] = self.session
        self.w.write(json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=60):
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method:
                return self.events.pop(i)
        while time.time() < deadline:
            m = self._read(deadline - time.time())
            if m.get("method") == method:
                return m
            self.events.append(m)
        raise TimeoutError(method)

    def load(self, url):
        """Navigates and waits for the load event; returns milliseconds from navigation."""
        self.events.clear()
        start = time.perf_counter()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        return (time.perf_counter() - start) * 1000

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate: {r['exceptionDetails']}")
        return r["result"].get("value")

    def drain(self, seconds=0.3):
        """Collects events that arrive within `seconds` (late console messages, media requests)."""
        self.call("Runtime.evaluate", expression=f"new Promise(r => setTimeout(r, {int(seconds * 1000)}))",
                  awaitPromise=True)

    def close(self):
        try:
            self.w.write(json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def url_of(page):
    return page if "://" in page else Path(page).resolve().as_uri()


def report_events(events):
    requests, console, exceptions = [], [], []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Network.requestWillBeSent":
            requests.append(p["request"]["url"])
        elif m == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            console.append({"level": p.get("type"), "text": text})
        elif m == "Log.entryAdded":
            entry = p.get("entry", {})
            console.append({"level": entry.get("level"), "text": entry.get("text"),
                            "url": entry.get("url")})
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            exceptions.append(d.get("exception", {}).get("description") or d.get("text"))
    return requests, console, exceptions


OVERFLOW_JS = """(() => {
  const limit = document.documentElement.clientWidth + 1;
  const out = [];
  for (const el of document.querySelectorAll('table, svg, pre, section, .cards')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.right > limit || (el.tagName === 'TABLE' && el.scrollWidth > el.clientWidth + 1))
      out.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined ? '.' + el.className : '') + ' right=' + Math.round(r.right));
  }
  return {width: limit - 1, overflowing: out};
})()"""


def check(args):
    b = Browser()
    try:
        load_ms = b.load(url_of(args.page))
        value = b.evaluate(args.eval) if args.eval else None
        b.drain()
        printed = None
        if args.print_width:
            b.call("Emulation.setEmulatedMedia", media="print")
            b.call("Emulation.setDeviceMetricsOverride", width=args.print_width, height=1000,
                   deviceScaleFactor=1, mobile=False)
            printed = b.evaluate(OVERFLOW_JS)
        requests, console, exceptions = report_events(b.events)
        print(json.dumps({"load_ms": round(load_ms, 1), "requests": requests, "console": console,
                          "exceptions": exceptions, "value": value, "print": printed}))
    finally:
        b.close()


def shot(args):
    b = Browser(args.width, args.height)
    try:
        b.load(url_of(args.page))
        b.drain(0.2)
        params = {"format": "png"}
        if args.selector:
            h = b.evaluate("document.documentElement.scrollHeight")
            b.call("Emulation.setDeviceMetricsOverride", width=args.width, height=min(int(h), 16000),
                   deviceScaleFactor=1, mobile=False)
            box = b.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(args.selector)})"
                             ".getBoundingClientRect(); return [r.x, r.y + scrollY, r.width, r.height]; })()")
            params["clip"] = {"x": box[0], "y": box[1], "width": box[2], "height": box[3], "scale": 1}
            params["captureBeyondViewport"] = True
        elif args.full:
            h = b.evaluate("document.documentElement.scrollHeight")
            b.call("Emulation.setDeviceMetricsOverride", width=args.width, height=min(int(h), 16000),
                   deviceScaleFactor=1, mobile=False)
            params["captureBeyondViewport"] = True
        data = b.call("Page.captureScreenshot", **params)["data"]
        Path(args.out).write_bytes(base64.b64decode(data))
    finally:
        b.close()


def pdf(args):
    b = Browser()
    try:
        b.load(url_of(args.page))
        data = b.call("Page.printToPDF", printBackground=True, preferCSSPageSize=False,
                      paperWidth=8.27, paperHeight=11.69, marginTop=0.4, marginBottom=0.4,
                      marginLeft=0.4, marginRight=0.4)["data"]
        Path(args.out).write_bytes(base64.b64decode(data))
    finally:
        b.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("page")
    c.add_argument("--eval")
    c.add_argument("--print-width", type=int)
    s = sub.add_parser("shot")
    s.add_argument("page")
    s.add_argument("out")
    s.add_argument("--width", type=int, default=1280)
    s.add_argument("--height", type=int, default=900)
    s.add_argument("--full", action="store_true")
    s.add_argument("--selector", help="capture only the first element matching this CSS selector")
    p = sub.add_parser("pdf")
    p.add_argument("page")
    p.add_argument("out")
    args = ap.parse_args()
    {"check": check, "shot": shot, "pdf": pdf}[args.cmd](args)


if __name__ == "__main__":
    main()
