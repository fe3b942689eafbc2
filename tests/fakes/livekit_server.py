"""A local fake of the LiveKit server's agent-worker protocol, built from livekit.protocol.

Serves the WebSocket a worker registers on (``/agent``): checks the worker's token,
answers ``RegisterWorkerRequest`` and lets a test offer a job (``AvailabilityRequest``),
then assigns it (``JobAssignment``) once the worker accepts. Everything the worker sends
is recorded. Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import WSMsgType, web
from livekit.protocol import agent, models


@dataclass
class WorkerConnection:
    ws: web.WebSocketResponse
    worker_id: str
    register: agent.RegisterWorkerRequest
    claims: dict[str, Any]
    peer: tuple[str, int] = ("", 0)  # the worker's end of the WebSocket (host, port)
    messages: list[agent.WorkerMessage] = field(default_factory=list)
    availability: dict[str, asyncio.Future[agent.AvailabilityResponse]] = field(
        default_factory=dict)


class FakeLiveKitServer:
    def __init__(self, api_key: str, api_secret: str) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.workers: list[WorkerConnection] = []
        self.rejected_tokens = 0
        self._registered = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeLiveKitServer:
        app = web.Application()
        app.router.add_get("/agent", self._agent_ws)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for worker in self.workers:
            await worker.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _agent_ws(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        try:
            claims = jwt.decode(auth.removeprefix("Bearer "), self.api_secret,
                                algorithms=["HS256"], options={"verify_aud": False})
        except jwt.PyJWTError:
            self.rejected_tokens += 1
            return web.Response(status=401, text="invalid token")
        if claims.get("iss") != self.api_key or not claims.get("video", {}).get("agent"):
            self.rejected_tokens += 1
            return web.Response(status=401, text="token lacks the agent grant")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        first = await ws.receive()
        message = agent.WorkerMessage()
        message.ParseFromString(first.data)
        if not message.HasField("register"):
            await ws.close()
            return ws
        peer = request.transport.get_extra_info("peername") if request.transport else None
        worker = WorkerConnection(ws, f"W_{len(self.workers) + 1}", message.register, claims,
                                  peer=tuple(peer[:2]) if peer else ("", 0))
        reply = agent.ServerMessage()
        reply.register.worker_id = worker.worker_id
        reply.register.server_info.CopyFrom(models.ServerInfo(version="fake", protocol=16))
        await ws.send_bytes(reply.SerializeToString())
        async with self._registered:
            self.workers.append(worker)
            self._registered.notify_all()
        async for frame in ws:
            if frame.type != WSMsgType.BINARY:
                continue
            incoming = agent.WorkerMessage()
            incoming.ParseFromString(frame.data)
            worker.messages.append(incoming)
            if incoming.HasField("availability"):
                future = worker.availability.get(incoming.availability.job_id)
                if future is not None and not future.done():
                    future.set_result(incoming.availability)
        return ws

    async def wait_for_workers(self, count: int, timeout: float = 60) -> list[WorkerConnection]:
        async def wait() -> list[WorkerConnection]:
            async with self._registered:
                await self._registered.wait_for(lambda: len(self.workers) >= count)
                return list(self.workers)

        return await asyncio.wait_for(wait(), timeout)

    async def offer_job(self, worker: WorkerConnection, *, job_id: str, room: str,
                        room_url: str, timeout: float = 30, metadata: str = ""
                        ) -> agent.AvailabilityResponse:
        """Offer a job; when accepted, assign it with a participant token for ``room``.
        ``metadata``: the job's dispatch metadata (what ``CreateAgentDispatch`` carries)."""
        job = agent.Job(id=job_id, dispatch_id=f"AD_{job_id}", type=agent.JobType.JT_ROOM,
                        agent_name=worker.register.agent_name,
                        room=models.Room(sid=f"RM_{room}", name=room), metadata=metadata)
        future: asyncio.Future[agent.AvailabilityResponse] = (
            asyncio.get_running_loop().create_future())
        worker.availability[job_id] = future
        offer = agent.ServerMessage()
        offer.availability.job.CopyFrom(job)
        await worker.ws.send_bytes(offer.SerializeToString())
        answer = await asyncio.wait_for(future, timeout)
        if answer.available:
            from livekit import api

            token = (api.AccessToken(self.api_key, self.api_secret)
                     .with_identity(answer.participant_identity or f"agent-{job_id}")
                     .with_kind("agent")
                     .with_grants(api.VideoGrants(room_join=True, room=room, agent=True))
                     .to_jwt())
            assignment = agent.ServerMessage()
            assignment.assignment.job.CopyFrom(job)
            assignment.assignment.url = room_url
            assignment.assignment.token = token
            await worker.ws.send_bytes(assignment.SerializeToString())
        return answer
