"""The control plane's tables (SQLAlchemy 2 declarative). Migrations in ``migrations/``
create them; a change here needs a new migration (see docs/store.md).

``deployment_info`` holds facts about the deployment itself (its id, when it was made),
one row per fact. Later tables (people, projects, releases, the audit log) join here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so migrations can refer to them identically on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
FACT_NAME_LENGTH = 64


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DeploymentInfo(Base):
    __tablename__ = "deployment_info"

    name: Mapped[str] = mapped_column(String(FACT_NAME_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
