"""A drill's timeline as one self-contained SVG: per second, successes (up)
and errors (down) of writes and of reads, the longest outage shaded, and
the events (what the drill did, the VIP, the balancers' marks, Patroni's
role changes) as numbered vertical lines listed underneath.  Pure: returns
the SVG text."""

from xml.sax.saxutils import escape

WIDTH = 980
LEFT, RIGHT = 64, 24
PANEL_OK, PANEL_ERR, PANEL_GAP = 110, 40, 44
TOP = 96
LINE = 15
MAX_LISTED = 45

COLOR = {
    "ok": "#3a9a4a", "err": "#d23c3c", "outage": "#f6d5d5",
    "action": "#000000", "vip": "#7b3fb0", "mark": "#1f66c1",
    "role": "#d07a00", "info": "#8c8c8c", "grid": "#e4e4e4", "axis": "#555555",
}


def _nice_max(v):
    """The smallest of 1, 2, 5 x 10^n at least V (V at least 1)."""
    v = max(1, v)
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= v:
                return m * step
        step *= 10


def _text(x, y, s, size=11, anchor="start", color="#222", weight="normal"):
    return ('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" fill="%s" '
            'font-weight="%s">%s</text>' % (x, y, size, anchor, color, weight, escape(s)))


def _panel(out, y0, name, oks, errs, seconds, xscale, outage):
    """One role's panel with its top at Y0; returns the panel's bottom."""
    base = y0 + PANEL_OK
    ok_max = _nice_max(max(oks, default=0))
    err_max = _nice_max(max(errs, default=0))
    plot_w = WIDTH - LEFT - RIGHT
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="#fafafa" stroke="%s"/>'
               % (LEFT, y0, plot_w, PANEL_OK + PANEL_ERR, COLOR["grid"]))
    if outage:
        a, b = outage
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   % (LEFT + a * xscale, y0, max(1.0, (b - a) * xscale),
                      PANEL_OK + PANEL_ERR, COLOR["outage"]))
    bar = max(1.0, xscale - 1)
    for i in range(seconds):
        ok = oks[i] if i < len(oks) else 0
        er = errs[i] if i < len(errs) else 0
        x = LEFT + i * xscale
        if ok:
            h = PANEL_OK * ok / ok_max
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                       % (x, base - h, bar, h, COLOR["ok"]))
        if er:
            h = PANEL_ERR * er / err_max
            out.append('<rect x="%.1f" y="%d" width="%.1f" height="%.1f" fill="%s"/>'
                       % (x, base, bar, h, COLOR["err"]))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>'
               % (LEFT, base, WIDTH - RIGHT, base, COLOR["axis"]))
    out.append(_text(LEFT - 6, y0 + 10, str(ok_max), 10, "end", COLOR["ok"]))
    out.append(_text(LEFT - 6, base + 4, "0", 10, "end"))
    out.append(_text(LEFT - 6, base + PANEL_ERR, str(err_max), 10, "end", COLOR["err"]))
    out.append(_text(LEFT, y0 - (36 if y0 == TOP else 6),
                     "%s: successes per second (green, up), errors per second (red, down)"
                     % name, 11, weight="bold"))
    return base + PANEL_ERR


def _axis(out, y, seconds, xscale):
    step = 5 if seconds <= 60 else 10
    for s in range(0, seconds + 1, step):
        x = LEFT + s * xscale
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>'
                   % (x, y, x, y + 4, COLOR["axis"]))
        out.append(_text(x, y + 15, "%d s" % s, 10, "middle"))


def render(title, subtitle, timeline, events, action_t=None, outages=None):
    """TIMELINE: {"write": {"ok": [...], "err": [...]}, "read": {...}}, one
    entry per second from the load's start.  EVENTS: dicts with "t" (seconds
    from the load's start), "kind", "host", "source", "text".  OUTAGES:
    {"write": (start, end), "read": (start, end)} in seconds, or None."""
    outages = outages or {}
    seconds = max(len(timeline["write"]["ok"]), len(timeline["read"]["ok"]), 1)
    xscale = (WIDTH - LEFT - RIGHT) / float(seconds)
    listed = events[:MAX_LISTED]
    p1 = TOP
    p2 = p1 + PANEL_OK + PANEL_ERR + PANEL_GAP
    bottom = p2 + PANEL_OK + PANEL_ERR
    legend_y = bottom + 40
    height = legend_y + LINE * (len(listed) + (1 if len(events) > MAX_LISTED else 0)) + 10
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" font-family="sans-serif">' % (WIDTH, height, WIDTH, height),
           '<rect width="100%" height="100%" fill="#ffffff"/>',
           _text(LEFT, 22, title, 15, weight="bold"),
           _text(LEFT, 40, subtitle, 11, color="#444")]
    _panel(out, p1, "writes", timeline["write"]["ok"], timeline["write"]["err"], seconds,
           xscale, outages.get("write"))
    _panel(out, p2, "reads", timeline["read"]["ok"], timeline["read"]["err"], seconds,
           xscale, outages.get("read"))
    _axis(out, bottom, seconds, xscale)
    _markers(out, listed, p1, bottom, xscale, seconds)
    _legend(out, listed, len(events), legend_y, action_t)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _markers(out, events, top, bottom, xscale, seconds):
    last_x, row = -100.0, 0
    for n, e in enumerate(events, 1):
        t = min(max(e["t"], 0.0), float(seconds))
        x = LEFT + t * xscale
        color = COLOR.get(e["kind"], COLOR["info"])
        width = 2 if e["kind"] == "action" else 1
        dash = "" if e["kind"] in ("action", "vip") else ' stroke-dasharray="3,3"'
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%d"%s/>'
                   % (x, top - 4, x, bottom, color, width, dash))
        row = row + 1 if x - last_x < 16 else 0
        last_x = x
        out.append(_text(x, top - 6 - (row % 3) * 9, str(n), 9, "middle", color, "bold"))


def _legend(out, events, total, y, action_t):
    out.append(_text(LEFT, y - 14, "events (seconds from the load's start%s)"
                     % ("; action at %.1f s" % action_t if action_t is not None else ""),
                     11, weight="bold"))
    for n, e in enumerate(events, 1):
        color = COLOR.get(e["kind"], COLOR["info"])
        row = y + (n - 1) * LINE
        out.append(_text(LEFT, row, str(n), 10, "end", color, "bold"))
        out.append(_text(LEFT + 52, row, "%.1f s" % e["t"], 10, "end", color))
        out.append(_text(LEFT + 62, row, e["host"], 10, color=color))
        out.append(_text(LEFT + 100, row, e["source"], 10, color=color))
        out.append(_text(LEFT + 172, row, e["text"], 10, color=color))
    if total > len(events):
        out.append(_text(LEFT + 8, y + len(events) * LINE,
                         "... and %d more events in the report" % (total - len(events)), 10))
