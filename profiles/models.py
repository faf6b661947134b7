"""Shared kernel: enterprises and the workers who compete, referee and serve."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # 统一社会信用代码: the 18-character national registration code, when known.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    district: Mapped[str] = mapped_column(String(100), default="")

    workers: Mapped[list[Worker]] = relationship(back_populates="enterprise")

    def __repr__(self) -> str:
        return f"<Enterprise {self.id} {self.name}>"


class Worker(Base):
    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    trade: Mapped[str] = mapped_column(String(100), default="")

    enterprise: Mapped[Enterprise | None] = relationship(back_populates="workers")

    def __repr__(self) -> str:
        return f"<Worker {self.id} {self.name}>"
