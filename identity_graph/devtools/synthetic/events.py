"""Segment-spec events (HTTP tracking API shapes), streamed session by session.

Every person first gets "natural" sessions that together show each of their identifiers
linked to another one (every cookie, device, email and the phone; hubs too). The natural
sessions of all people are shuffled and laid out over the time window, so a person's
activity is spread over the months rather than bunched. When more events are asked for
than that produces, extra sessions of randomly chosen (skewed: some people are far more
active) people are mixed in. Only one session's events exist at a time.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from random import Random
from typing import Any

from identity_graph.devtools.synthetic import _data as data
from identity_graph.devtools.synthetic._rand import ZERO_UUID, email_variant, uuid4
from identity_graph.devtools.synthetic.catalog import (
    CAMPAIGNS,
    DAYS,
    HOUR_MINUTE,
    PRODUCTS,
    SPAN,
)
from identity_graph.devtools.synthetic.phones import written
from identity_graph.devtools.synthetic.population import Device, Person, Population

Event = dict[str, Any]

_WEB, _APP, _TABLET, _AGENT = range(4)
_JUNK_RATE = 0.01
# Measured mean session lengths. They turn an event budget into a session count so that
# sessions spread evenly over the window whatever n_events is (the tests check it fills).
_EVENTS_PER_NATURAL_SESSION = 4.18
_EVENTS_PER_EXTRA_SESSION = 3.54


def iter_events(pop: Population, n_events: int | None = None) -> Iterator[Event]:
    """Stream Segment events. `n_events=None` emits the natural sessions only (about 10
    events per person, every identifier appears); a larger budget adds sessions of the same
    people; a smaller one truncates, so some identifiers may not appear."""
    if n_events is not None and n_events < 0:
        raise ValueError("n_events must not be negative")
    return _Stream(pop).run(n_events)


def _phone(p: Person) -> tuple[str, str] | None:
    """(E.164, international) of the person's phone, else of the landline they share."""
    if p.phone is not None and p.phone_intl is not None:
        return p.phone, p.phone_intl
    if p.shared_phone is not None and p.shared_phone_intl is not None:
        return p.shared_phone, p.shared_phone_intl
    return None


class _Stream:
    def __init__(self, pop: Population) -> None:
        self.pop = pop
        self.rng = Random(f"{pop.seed}:events")
        # Ids share a per-seed UUID-like prefix and end in a counter: unique within the
        # stream and far cheaper than one UUID per event.
        self.prefix = uuid4(Random(f"{pop.seed}:message-ids"))[:24]
        # Consent draws from its own stream, so that adding it changed no other event.
        self.consent_rng = Random(f"{pop.seed}:consent")
        self.count = 0
        self.orders = 0
        self.cases = 0
        self.open_cases: dict[int, list[str]] = {}
        self.t = 0
        self.gap = 50
        self.out: list[Event] = []

    # -- driver -------------------------------------------------------------------------

    def run(self, n_events: int | None) -> Iterator[Event]:
        rng = self.rng
        plan = self._plan()
        natural_events = len(plan) * _EVENTS_PER_NATURAL_SESSION
        if n_events is None:
            sessions, p_extra = float(len(plan)), 0.0
        elif n_events <= natural_events:
            sessions, p_extra = n_events / _EVENTS_PER_NATURAL_SESSION, 0.0
        else:
            extra = (n_events - natural_events) / _EVENTS_PER_EXTRA_SESSION
            sessions, p_extra = len(plan) + extra, extra / (len(plan) + extra)
        step = SPAN / max(sessions, 1.0)
        # Seconds between a session's events, kept well under the gap between sessions so
        # that even dense streams stay (almost) in time order.
        self.gap = max(1, min(50, int(step / 10)))
        emitted = 0
        pos = 0
        k = 0
        out = self.out
        while n_events is None or emitted < n_events:
            natural = pos < len(plan) and (p_extra == 0.0 or rng.random() >= p_extra)
            if not natural and n_events is None:
                return
            self.t = int((k + rng.random() * 0.5) * step)
            k += 1
            if natural:
                self._natural(plan[pos])
                pos += 1
            else:
                self._extra()
            if n_events is not None and emitted + len(out) > n_events:
                del out[n_events - emitted :]
            emitted += len(out)
            yield from out
            out.clear()

    def _plan(self) -> array[int]:
        """Natural sessions as packed ints (8 bytes each, not a tuple per session)."""
        pop = self.pop
        n = len(pop.people)
        plan: array[int] = array("q")
        add = plan.append

        def code(person: int, kind: int, arg: int, ordinal: int) -> int:
            return ((arg * 8 + ordinal) * 4 + kind) * n + person

        for p in pop.people:
            o = 0
            for j in range(len(p.web_cookies)):
                add(code(p.index, _WEB, j, o))
                o += 1
            for k in range(len(p.devices)):
                add(code(p.index, _APP, k, o))
                o += 1
            # More emails than sessions: one more login so every email gets linked.
            while o < len(p.emails):
                add(code(p.index, _WEB if p.web_cookies else _APP, 0, o))
                o += 1
        for i, tablet in enumerate(pop.tablets):
            for member in tablet.members:
                add(code(member, _TABLET, i, 0))
        for i, agent in enumerate(pop.call_centre):
            for customer in agent.customers:
                add(code(customer, _AGENT, i, 0))
        self.rng.shuffle(plan)
        return plan

    def _natural(self, code: int) -> None:
        n = len(self.pop.people)
        rest, person = divmod(code, n)
        p = self.pop.people[person]
        kind, ordinal, arg = rest & 3, (rest >> 2) & 7, rest >> 5
        # A spouse without an email of their own gives the family mailbox.
        email = p.emails[ordinal % len(p.emails)] if p.emails else p.shared_email
        phone = ordinal == 0
        if kind == _WEB:
            alias = ordinal == 0 and self.rng.random() < 0.5
            self._web(p, p.web_cookies[arg], True, email, phone, alias, True)
        elif kind == _APP:
            self._app(p, p.devices[arg], True, email, phone, True)
        elif kind == _TABLET:
            self._app(p, self.pop.tablets[arg].device, True, email, False, True)
        else:
            self._agent(p, self.pop.call_centre[arg].cookie)

    def _extra(self) -> None:
        rng = self.rng
        pop = self.pop
        r = rng.random()
        if r < 0.005 and pop.tablets:
            tablet = pop.tablets[int(rng.random() * len(pop.tablets))]
            p = pop.people[tablet.members[int(rng.random() * len(tablet.members))]]
            self._app(p, tablet.device, True, self._some_email(p), False, False)
            return
        if r < 0.015 and pop.call_centre:
            agent = pop.call_centre[int(rng.random() * len(pop.call_centre))]
            p = pop.people[agent.customers[int(rng.random() * len(agent.customers))]]
            self._agent(p, agent.cookie)
            return
        # Activity is skewed: low person indices (a random subset) are the regulars.
        p = pop.people[int(rng.random() ** 2 * len(pop.people))]
        login = rng.random() < 0.6
        email = self._some_email(p)
        phone = rng.random() < 0.1
        web = p.web_cookies
        if p.devices and (not web or rng.random() < 0.4):
            device = p.devices[int(rng.random() * len(p.devices))]
            self._app(p, device, login, email, phone, False)
        else:
            cookie = web[int(rng.random() * len(web))]
            self._web(p, cookie, login, email, phone, rng.random() < 0.02, False)

    def _some_email(self, p: Person) -> str | None:
        if not p.emails or self.rng.random() < 0.5:
            return None
        return p.emails[int(self.rng.random() * len(p.emails))]

    # -- events ---------------------------------------------------------------------------

    def _event(self, type_: str, anonymous_id: str | None, user_id: str | None) -> Event:
        rng = self.rng
        self.count += 1
        t = self.t = self.t + 1 + int(rng.random() * self.gap)
        if t >= SPAN:
            t = SPAN - 1
        day, sod = divmod(t, 86400)
        minute, second = divmod(sod, 60)
        ms = int(rng.random() * 1000)
        event: Event = {
            "type": type_,
            "messageId": f"{self.prefix}{self.count:012x}",
            "timestamp": f"{DAYS[day]}T{HOUR_MINUTE[minute]}:{second:02d}.{ms:03d}Z",
        }
        if anonymous_id is not None:
            event["anonymousId"] = anonymous_id
        if user_id is not None:
            event["userId"] = user_id
        return event

    def _identify(
        self,
        p: Person,
        anonymous_id: str,
        user_id: str | None,
        email: str | None,
        phone: bool,
        context: dict[str, Any] | None,
    ) -> None:
        rng = self.rng
        event = self._event("identify", anonymous_id, user_id)
        traits: dict[str, Any] = {}
        if email is not None:
            traits["email"] = email_variant(rng, email) if rng.random() < 0.15 else email
        number = _phone(p) if phone else None
        if number is not None:
            traits["phone"] = written(rng, *number)
        traits["firstName"] = p.given_name
        traits["lastName"] = p.surname
        event["traits"] = traits
        consent = self._consent(p)
        if consent is not None:
            context = {**(context or {}), "consent": {"categoryPreferences": consent}}
        if context is not None:
            event["context"] = context
        self.out.append(event)

    def _consent(self, p: Person) -> dict[str, bool] | None:
        """A consent banner's answer on some logins: about 70% of people allow advertising,
        and now and then one changes their mind."""
        rng = self.consent_rng
        if rng.random() >= 0.4:
            return None
        allows = (p.index * 2654435761) % 100 < 70
        if rng.random() < 0.05:
            allows = not allows
        return {"Advertising": allows, "Analytics": rng.random() < 0.8}

    def _junk(self, anonymous_id: str) -> None:
        """A form filled with a placeholder: must never link anything."""
        event = self._event("identify", anonymous_id, None)
        junk = data.JUNK_EMAILS[int(self.rng.random() * len(data.JUNK_EMAILS))]
        event["traits"] = {"email": junk}
        self.out.append(event)

    def _web(
        self,
        p: Person,
        cookie: str,
        login: bool,
        email: str | None,
        phone: bool,
        alias: bool,
        natural: bool,
    ) -> None:
        rng = self.rng
        out = self.out
        pages = data.PAGES
        for _ in range(1 + (rng.random() < 0.5)):
            name, path = pages[int(rng.random() * len(pages))]
            event = self._event("page", cookie, None)
            event["name"] = name
            event["properties"] = {"path": path}
            out.append(event)
        user = p.customer_id if login else None
        if user is not None:
            if alias:
                event = self._event("alias", None, user)
                event["previousId"] = cookie
                out.append(event)
            self._identify(p, cookie, user, email, phone, None)
        elif natural or rng.random() < 0.1:
            # No account: a newsletter sign-up or store-locator form still names them.
            has_phone = phone and _phone(p) is not None
            if email is not None or has_phone:
                self._identify(p, cookie, None, email, phone, None)
        if rng.random() < _JUNK_RATE:
            self._junk(cookie)
        self._activity(p, cookie, user, None)

    def _app(
        self,
        p: Person,
        device: Device,
        login: bool,
        email: str | None,
        phone: bool,
        natural: bool,
    ) -> None:
        rng = self.rng
        out = self.out
        anon = device.anonymous_id
        screens = data.SCREENS
        context = self._device_context(device)
        event = self._event("screen", anon, None)
        event["name"] = "Home"
        event["context"] = context
        out.append(event)
        user = p.customer_id if login else None
        if user is not None:
            ctx = self._device_context(device)
            if p.loyalty_id is not None and rng.random() < 0.5:
                ctx["externalIds"] = [
                    {"id": p.loyalty_id, "type": "loyalty_id", "collection": "users",
                     "encoding": "none"}
                ]  # fmt: skip
            self._identify(p, anon, user, email, phone, ctx)
        elif natural and (email is not None or (phone and _phone(p) is not None)):
            self._identify(p, anon, None, email, phone, self._device_context(device))
        for _ in range(int(rng.random() * 3)):
            event = self._event("screen", anon, user)
            event["name"] = screens[int(rng.random() * len(screens))]
            event["context"] = self._device_context(device)
            out.append(event)
        self._activity(p, anon, user, device)

    def _agent(self, p: Person, cookie: str) -> None:
        """A call-centre agent looks the customer up and logs in as them."""
        rng = self.rng
        event = self._event("page", cookie, None)
        event["name"] = "Customer Lookup"
        event["properties"] = {"path": "/agent/lookup"}
        self.out.append(event)
        event = self._event("identify", cookie, p.customer_id)
        traits: dict[str, Any] = {"firstName": p.given_name, "lastName": p.surname}
        r = rng.random()
        if r < 0.1:
            traits["email"] = data.JUNK_EMAILS[int(rng.random() * len(data.JUNK_EMAILS))]
        elif r < 0.5 and p.emails:
            traits["email"] = p.emails[0]
        event["traits"] = traits
        self.out.append(event)
        open_cases = self.open_cases.get(p.index)
        if open_cases and rng.random() < 0.6:
            self._case(p, cookie, p.customer_id, None, close=True)
        else:
            self._case(p, cookie, p.customer_id, None, close=False)
        if rng.random() < 0.1:
            self._order(cookie, p.customer_id, None)

    @staticmethod
    def _device_context(device: Device) -> dict[str, Any]:
        info: dict[str, Any] = {"id": device.device_id, "type": device.platform}
        if device.advertising_id is not None:
            info["advertisingId"] = device.advertising_id
            info["adTrackingEnabled"] = device.advertising_id != ZERO_UUID
        return {"device": info}

    def _track(
        self, name: str, anon: str, user: str | None, device: Device | None, props: dict[str, Any]
    ) -> None:
        event = self._event("track", anon, user)
        event["event"] = name
        event["properties"] = props
        if device is not None:
            event["context"] = self._device_context(device)
        self.out.append(event)

    def _activity(self, p: Person, anon: str, user: str | None, device: Device | None) -> None:
        rng = self.rng
        products = PRODUCTS
        while rng.random() < 0.5:
            sku = products[int(rng.random() ** 2 * len(products))][0]
            self._track("Product Viewed", anon, user, device, {"product_id": sku})
        if rng.random() < 0.25:
            day = min(self.t // 86400, len(CAMPAIGNS) - 1)
            campaign = CAMPAIGNS[day][rng.random() < 0.3]
            for _ in range(1 + (rng.random() < 0.3)):
                self._track("Promotion Viewed", anon, user, device, {"campaign_id": campaign})
        if rng.random() < (0.12 if user is not None else 0.03):
            self._order(anon, user, device)
        if user is not None:
            if self.open_cases.get(p.index) and rng.random() < 0.3:
                self._case(p, anon, user, device, close=True)
            elif rng.random() < 0.02:
                self._case(p, anon, user, device, close=False)

    def _order(self, anon: str, user: str | None, device: Device | None) -> None:
        rng = self.rng
        self.orders += 1
        items = []
        cents = 0
        for _ in range(1 + int(rng.random() ** 3 * 3)):
            sku, price = PRODUCTS[int(rng.random() ** 2 * len(PRODUCTS))]
            r = rng.random()
            quantity = 1 if r < 0.75 else 2 if r < 0.93 else 3
            items.append({"product_id": sku, "price": price, "quantity": quantity})
            cents += round(price * 100) * quantity
        props = {
            "order_id": f"ORD-{self.orders:08d}",
            "products": items,
            "revenue": cents / 100,
            "currency": "USD",
        }
        self._track("Order Completed", anon, user, device, props)

    def _case(
        self, p: Person, anon: str, user: str | None, device: Device | None, *, close: bool
    ) -> None:
        cases = self.open_cases.setdefault(p.index, [])
        if close and cases:
            case_id = cases.pop(0)
            if not cases:
                del self.open_cases[p.index]
            self._track("Case Closed", anon, user, device, {"case_id": case_id})
            return
        self.cases += 1
        case_id = f"CASE-{self.cases:07d}"
        cases.append(case_id)
        self._track("Case Opened", anon, user, device, {"case_id": case_id})
