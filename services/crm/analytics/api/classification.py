"""Document 000: the classification of buyers by stages of relationship, its rules and runs."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.crm.analytics.api.records_schemas import (
    ClassificationLineQuerySchema,
    ClassificationLineSchema,
    ClassificationRequestSchema,
    ClassificationRuleSchema,
    ClassificationRunSchema,
    StrategySchema,
)
from services.crm.analytics.handlers import classification, classification_rules
from services.crm.entrypoints.api.context import actor, unit_of_work
from services.crm.entrypoints.api.schemas import Id, Schema

blp = Blueprint(
    "buyer-classifications",
    __name__,
    url_prefix="/api",
    description="Classification of buyers by stages of relationship: rules, strategies, runs",
)


class ClassificationRuleStatusSchema(Schema):
    status_id = Id(required=True)


@blp.route("/buyer-classifications")
class Runs(MethodView):
    @blp.response(200, ClassificationRunSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """The classification runs, newest first"""
        with unit_of_work() as session:
            found, pagination_parameters.item_count = classification.list_runs(
                session,
                actor(),
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
            )
            return found

    @blp.arguments(ClassificationRequestSchema, required=False)
    @blp.response(202, ClassificationRunSchema)
    def post(self, data):
        """Start a classification now (admins); the CRM worker carries it out"""
        with unit_of_work() as session:
            return classification.request_run(session, actor(), data.get("from_"), data.get("to"))


@blp.route("/buyer-classifications/<int:run_id>")
class RunById(MethodView):
    @blp.response(200, ClassificationRunSchema)
    def get(self, run_id):
        """A run: its months, state and counts"""
        with unit_of_work() as session:
            return classification.load_run(session, actor(), run_id)


@blp.route("/buyer-classifications/<int:run_id>/lines")
class Lines(MethodView):
    @blp.arguments(ClassificationLineQuerySchema, location="query")
    @blp.response(200, ClassificationLineSchema(many=True))
    @blp.paginate()
    def get(self, filters, pagination_parameters, run_id):
        """Every buyer of the run: stage, ABC/XYZ class, old and new status"""
        with unit_of_work() as session:
            found, pagination_parameters.item_count = classification.list_lines(
                session,
                actor(),
                run_id,
                page=pagination_parameters.page,
                page_size=pagination_parameters.page_size,
                **filters,
            )
            return found


@blp.route("/classification-rules")
class Rules(MethodView):
    @blp.response(200, ClassificationRuleSchema(many=True))
    def get(self):
        """The rules: stage of relationship (and ABC class) -> interaction status"""
        with unit_of_work() as session:
            return classification_rules.list_rules(session)

    @blp.arguments(ClassificationRuleSchema)
    @blp.response(201, ClassificationRuleSchema)
    def post(self, data):
        """Add a rule (admins); one per stage and class"""
        with unit_of_work() as session:
            return classification_rules.add_rule(session, actor(), data)


@blp.route("/classification-rules/<int:rule_id>")
class RuleById(MethodView):
    @blp.arguments(ClassificationRuleStatusSchema)
    @blp.response(200, ClassificationRuleSchema)
    def put(self, data, rule_id):
        """Change the status a rule assigns (admins)"""
        with unit_of_work() as session:
            return classification_rules.change_rule(session, actor(), rule_id, data["status_id"])

    @blp.response(204)
    def delete(self, rule_id):
        """Remove a rule (admins)"""
        with unit_of_work() as session:
            classification_rules.remove_rule(session, actor(), rule_id)


@blp.route("/relationship-strategies")
class Strategies(MethodView):
    @blp.response(200, StrategySchema(many=True))
    def get(self):
        """The relationship strategy of each ABC class and its default status"""
        with unit_of_work() as session:
            return classification_rules.list_strategies(session)


@blp.route("/relationship-strategies/<text(1):abc_class>")
class StrategyByClass(MethodView):
    @blp.arguments(StrategySchema(partial=True))
    @blp.response(200, StrategySchema)
    def patch(self, data, abc_class):
        """Change a class's strategy: its description or default status (admins)"""
        with unit_of_work() as session:
            return classification_rules.change_strategy(session, actor(), abc_class, data)
