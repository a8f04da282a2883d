"""workdesk and booking: persons, staff, cases (append-only history), assessments, messages,
schedules, slots, appointments, notification outbox; audit purpose and subject person

Revision ID: 0005
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None

_APPEND_ONLY = "case_transitions is append-only: the history of a case is never edited"


def _id() -> sa.Column:
    return sa.Column('id', sa.Integer(), autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        'persons', _id(),
        sa.Column('person_id', sa.String(64), nullable=False),
        sa.Column('hetu', sa.String(11), nullable=False),
        sa.Column('birth_date', sa.Date(), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('language', sa.String(5), nullable=False),
        sa.Column('municipality', sa.String(100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('person_id'),
        sa.UniqueConstraint('hetu'))
    op.create_table(
        'staff_profiles',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('professional_group', sa.String(32), nullable=False),
        sa.Column('title', sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']), sa.PrimaryKeyConstraint('user_id'))
    op.create_table(
        'staff_services',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('user_id', 'service_id'))
    op.create_table(
        'cases', _id(),
        sa.Column('person_pk', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(16), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('owner_user_id', sa.Integer(), nullable=True),
        sa.Column('unit_id', sa.String(64), nullable=False),
        sa.Column('service_area', sa.String(16), nullable=False),
        sa.Column('professional_group', sa.String(32), nullable=True),
        sa.Column('urgency', sa.String(16), nullable=True),
        sa.Column('service_id', sa.String(64), nullable=True),
        sa.Column('routing_rule', sa.String(100), nullable=True),
        sa.Column('subject', sa.String(300), nullable=False),
        sa.Column('contact_at', sa.DateTime(), nullable=False),
        sa.Column('callback_from', sa.DateTime(), nullable=True),
        sa.Column('callback_to', sa.DateTime(), nullable=True),
        sa.Column('first_reply_at', sa.DateTime(), nullable=True),
        sa.Column('assessed_at', sa.DateTime(), nullable=True),
        sa.Column('visit_at', sa.DateTime(), nullable=True),
        sa.Column('contact_mode', sa.String(16), nullable=True),
        sa.Column('visit_professional', sa.String(100), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('close_reason', sa.String(16), nullable=True),
        sa.Column('questionnaire_outcome', sa.String(32), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('due_leg', sa.String(32), nullable=True),
        sa.Column('due_rule', sa.String(100), nullable=True),
        sa.Column('episode_id', sa.String(64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_pk'], ['persons.id']),
        sa.ForeignKeyConstraint(['owner_user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('episode_id'))
    op.create_index('ix_cases_person_pk', 'cases', ['person_pk'])
    op.create_index('ix_cases_queue', 'cases', ['state', 'urgency', 'due_on'])
    op.create_index('ix_cases_owner', 'cases', ['owner_user_id'])
    op.create_index('ix_cases_service', 'cases', ['service_id', 'state'])
    op.create_table(
        'case_transitions', _id(),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(100), nullable=False),
        sa.Column('transition', sa.String(16), nullable=False),
        sa.Column('from_state', sa.String(16), nullable=False),
        sa.Column('to_state', sa.String(16), nullable=False),
        sa.Column('owner_before', sa.String(100), nullable=True),
        sa.Column('owner_after', sa.String(100), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']), sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_transitions_case_id', 'case_transitions', ['case_id'])
    op.create_table(
        'assessments', _id(),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('assessor', sa.String(100), nullable=False),
        sa.Column('urgency', sa.String(16), nullable=False),
        sa.Column('need', sa.Text(), nullable=False),
        sa.Column('reason_code', sa.String(16), nullable=True),
        sa.Column('service_area', sa.String(16), nullable=False),
        sa.Column('professional_group', sa.String(32), nullable=False),
        sa.Column('outcome', sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']), sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_assessments_case_id', 'assessments', ['case_id'])
    op.create_table(
        'case_messages', _id(),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('author_kind', sa.String(16), nullable=False),
        sa.Column('author', sa.String(100), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']), sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_case_messages_case_id', 'case_messages', ['case_id'])
    op.create_table(
        'schedule_templates', _id(),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.String(64), nullable=False),
        sa.Column('service_id', sa.String(64), nullable=True),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('start_time', sa.String(5), nullable=False),
        sa.Column('end_time', sa.String(5), nullable=False),
        sa.Column('slot_minutes', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(16), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('valid_to', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']), sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_schedule_templates_user_id', 'schedule_templates', ['user_id'])
    op.create_table(
        'schedule_exceptions', _id(),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('unit_id', sa.String(64), nullable=True),
        sa.Column('service_id', sa.String(64), nullable=True),
        sa.Column('slot_minutes', sa.Integer(), nullable=True),
        sa.Column('mode', sa.String(16), nullable=True),
        sa.Column('slot_kind', sa.String(16), nullable=True),
        sa.Column('note', sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']), sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_schedule_exceptions_user_id', 'schedule_exceptions', ['user_id'])
    op.create_table(
        'slots', _id(),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.String(64), nullable=False),
        sa.Column('service_id', sa.String(64), nullable=True),
        sa.Column('professional_group', sa.String(32), nullable=False),
        sa.Column('start_at', sa.DateTime(), nullable=False),
        sa.Column('end_at', sa.DateTime(), nullable=False),
        sa.Column('mode', sa.String(16), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']), sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'start_at', name='uq_slots_user_start'))
    op.create_index('ix_slots_service_start', 'slots', ['service_id', 'status', 'start_at'])
    op.create_index('ix_slots_start', 'slots', ['start_at'])
    op.create_table(
        'appointments', _id(),
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('person_pk', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('booked_at', sa.DateTime(), nullable=False),
        sa.Column('booked_by', sa.String(100), nullable=False),
        sa.Column('changed_at', sa.DateTime(), nullable=True),
        sa.Column('changed_by', sa.String(100), nullable=True),
        sa.Column('reason', sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(['slot_id'], ['slots.id']),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id']),
        sa.ForeignKeyConstraint(['person_pk'], ['persons.id']), sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_appointments_slot_id', 'appointments', ['slot_id'])
    op.create_index('ix_appointments_case_id', 'appointments', ['case_id'])
    op.create_index('ix_appointments_person_pk', 'appointments', ['person_pk'])
    op.create_index('uq_appointments_booked_slot', 'appointments', ['slot_id'], unique=True,
                    sqlite_where=sa.text("status = 'booked'"),
                    postgresql_where=sa.text("status = 'booked'"))
    op.create_table(
        'notification_outbox', _id(),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('person_pk', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('send_after', sa.DateTime(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['person_pk'], ['persons.id']),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_notification_outbox_person_pk', 'notification_outbox', ['person_pk'])
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(200), nullable=True))
        batch_op.add_column(sa.Column('subject_person_id', sa.String(64), nullable=True))
        batch_op.create_index('ix_audit_log_subject_person_id', ['subject_person_id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION case_transitions_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{_APPEND_ONLY}'; END $$ LANGUAGE plpgsql")
        op.execute(
            "CREATE TRIGGER case_transitions_append_only BEFORE UPDATE OR DELETE ON "
            "case_transitions FOR EACH ROW EXECUTE FUNCTION case_transitions_append_only()")
    else:
        for event in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER case_transitions_no_{event.lower()} BEFORE {event} ON "
                f"case_transitions BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS case_transitions_append_only ON case_transitions")
        op.execute("DROP FUNCTION IF EXISTS case_transitions_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS case_transitions_no_update")
        op.execute("DROP TRIGGER IF EXISTS case_transitions_no_delete")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_subject_person_id')
        batch_op.drop_column('subject_person_id')
        batch_op.drop_column('purpose')
    for table in ('notification_outbox', 'appointments', 'slots', 'schedule_exceptions',
                  'schedule_templates', 'case_messages', 'assessments', 'case_transitions',
                  'cases', 'staff_services', 'staff_profiles', 'persons'):
        op.drop_table(table)
