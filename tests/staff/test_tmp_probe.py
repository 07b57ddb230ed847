from sqlalchemy import select
from qingmall.staff.models import AuditLog

async def test_probe(client, session, db, capsys):
    for body in ({"username": "a\u0000b", "password": "x"}, {"username": "ab", "password": "a\u0000b"}):
        r = await client.post("/api/admin/v1/auth/login", json=body)
        print(db.dialect, r.status_code, r.text)
    async with db.sessionmaker() as s:
        rows = (await s.scalars(select(AuditLog))).all()
        print("audit rows", [(r.username, r.status_code, r.body_summary) for r in rows])
