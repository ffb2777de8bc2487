"""The embedded runner in a process of its own (the API's lifespan, without HTTP).

Tests start this and kill it with SIGKILL to show that jobs survive a crash.
"""

from __future__ import annotations

import asyncio
import signal

from handwerkml.app import create_app
from handwerkml.config import Settings


async def main() -> None:
    app = create_app(Settings())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with app.router.lifespan_context(app):
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
