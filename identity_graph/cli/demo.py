"""`identity-graph demo`: the main job on a synthetic population."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from identity_graph.cli.common import ConfigOpt, StoreOpt, console, fail, out, service_session
from identity_graph.cli.progress import ProgressBars


def demo(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    people: Annotated[int, typer.Option(min=10, help="Size of the synthetic population")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same data")] = 42,
    events: Annotated[
        int | None, typer.Option(help="Number of events (default: about 10 per person)")
    ] = None,
    data_dir: Annotated[Path, typer.Option(help="Where to write the generated files")] = Path(
        "demo-data"
    ),
    fresh: Annotated[bool, typer.Option(help="Empty the store first")] = True,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Empty the store even if it holds data other than an earlier demo run's "
            "(without it, the demo refuses to)",
        ),
    ] = False,
    match: Annotated[
        bool, typer.Option(help="Also match CRM and loyalty records probabilistically")
    ] = True,
) -> None:
    """Generate a synthetic population, ingest it, resolve persons and score them."""
    from identity_graph.devtools.demo import StoreHoldsOtherData, run_demo

    with service_session(store, config) as service:
        try:
            result = run_demo(
                service,
                people=people,
                seed=seed,
                n_events=events,
                data_dir=data_dir,
                fresh=fresh,
                reset=reset,
                console=console,
                out=out,
                match=match,
                observer=ProgressBars(console),
            )
        except StoreHoldsOtherData as exc:
            raise fail(
                f"{exc}. Pass --reset to empty it anyway, or name another store with --store "
                "(a demo run that was interrupted leaves no mark of its own, so it needs --reset)."
            ) from None
    out.print(
        f"\nNext: serve the API on this store with\n  identity-graph serve --store "
        f"{service.store_url}\nthen open http://127.0.0.1:8000/docs (Authorize with the key below)"
    )
    name = result.admin_key_name
    out.print(
        f"\nAPI key {name} (admin; shown only this once; revoke it with "
        f"`identity-graph keys revoke {name}`):"
    )
    typer.echo(result.admin_key)
    target = f"persons/{result.sample_person}" if result.sample_person else "stats"
    out.print("Try it:")
    typer.echo(
        f'  curl -H "Authorization: Bearer {result.admin_key}" http://127.0.0.1:8000/v1/{target}'
    )
