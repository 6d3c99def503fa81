# warroom: `make run` sets up the demo incident and serves it; `make test` runs every test.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := .demo
DEMO_STAMP := $(DEMO)/.generated
export WARROOM_DATABASE_URL ?= sqlite:///warroom.db

.PHONY: run test bench lint install system-packages demo clean docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,spark,bench]"
	touch $(STAMP)

install: $(STAMP)

$(DEMO_STAMP): $(STAMP) examples/generate_demo.py
	$(BIN)/python examples/generate_demo.py --out $(DEMO)
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)

# The demo acts as the incident's commander; reports say who prepared them. The
# maintenance window is examples/generate_demo.py's MAINTENANCE (a record, announced
# too late to excuse the outage).
DEMO_ENV := WARROOM_USER="Jane Doe" WARROOM_PREPARED_BY="Engineering Operations Team"
INC := INC-2025-1108-001

HOST ?= 127.0.0.1
PORT ?= 8000
TOKENS := $(DEMO)/tokens.env
PASSWORDS := $(DEMO)/passwords.tsv
SOURCES := $(DEMO)/sources.yaml

run: demo
	$(DEMO_ENV) $(BIN)/warroom init
	@if ! $(DEMO_ENV) $(BIN)/warroom incident show $(INC) >/dev/null 2>&1; then \
		set -e; \
		rm -f $(TOKENS) $(PASSWORDS); \
		$(DEMO_ENV) $(BIN)/warroom user roles "Jane Doe" --role commander --role admin; \
		$(DEMO_ENV) $(BIN)/warroom user add "Riley Responder" --role responder; \
		$(DEMO_ENV) $(BIN)/warroom user add "Laura Legal" --role legal; \
		$(DEMO_ENV) $(BIN)/warroom user add "Fred Finance" --role finance; \
		$(DEMO_ENV) $(BIN)/warroom user add "Vic Viewer" --role viewer; \
		$(DEMO_ENV) $(BIN)/warroom incident import $(DEMO)/incident.yaml; \
		$(DEMO_ENV) $(BIN)/warroom maintenance schedule \
			--title "DB cluster connection pool maintenance" --start 2025-11-08T13:45:00Z \
			--end 2025-11-08T14:45:00Z --announced-at 2025-11-07T20:00:00Z; \
		$(DEMO_ENV) $(BIN)/warroom impact $(INC) --requests $(DEMO)/requests.parquet \
			--customers $(DEMO)/customers.csv --policy $(DEMO)/sla-policy.yaml; \
		$(DEMO_ENV) $(BIN)/warroom sla assess $(INC) --customers $(DEMO)/customers.csv \
			--policy $(DEMO)/sla-policy.yaml --submit >/dev/null; \
		$(DEMO_ENV) $(BIN)/warroom contacts load $(DEMO)/customers.csv; \
	fi
	$(DEMO_ENV) $(BIN)/warroom incident show $(INC)
	$(DEMO_ENV) $(BIN)/warroom report $(INC) --audience internal --format html --force \
		-o $(DEMO)/report-internal.html
	$(DEMO_ENV) $(BIN)/warroom report $(INC) --audience internal --format md
	@# what API requests may name: the demo's log, registry and policy
	@printf 'request_logs:\n  demo: {location: requests.parquet}\ncustomers:\n  default: customers.csv\npolicies:\n  default: sla-policy.yaml\n' > $(SOURCES)
	@# an API token of the demo's commander and an intake token, made once per database
	@if [ ! -s $(TOKENS) ]; then \
		set -e; \
		api=$$($(DEMO_ENV) $(BIN)/warroom token create "Jane Doe"); \
		intake=$$($(DEMO_ENV) $(BIN)/warroom token create alertmanager --scope intake); \
		umask 077; printf 'WARROOM_TOKEN=%s\nWARROOM_INTAKE_TOKEN=%s\n' "$$api" "$$intake" > $(TOKENS); \
	fi
	@# a password for each demo person, made once per database (random, kept in .demo/)
	@if [ ! -s $(PASSWORDS) ]; then \
		set -e; umask 077; : > $(PASSWORDS).partial; \
		for who in "Jane Doe" "Riley Responder" "Laura Legal" "Fred Finance" "Vic Viewer"; do \
			pw=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
			printf '%s\n' "$$pw" | $(DEMO_ENV) $(BIN)/warroom user password "$$who" \
				--password-stdin >/dev/null; \
			printf '%s\t%s\n' "$$who" "$$pw" >> $(PASSWORDS).partial; \
		done; \
		mv $(PASSWORDS).partial $(PASSWORDS); \
	fi
	@. ./$(TOKENS); \
	echo; \
	echo "Staff:    http://$(HOST):$(PORT)/   (sign in at http://$(HOST):$(PORT)/login)"; \
	echo "Status:   http://$(HOST):$(PORT)/status   (public, no sign-in)"; \
	echo "Demo sign-ins (name / password, from $(PASSWORDS)):"; \
	while IFS="$$(printf '\t')" read -r who pw; do \
		case "$$who" in \
			"Jane Doe") roles="commander, admin";; "Riley Responder") roles=responder;; \
			"Laura Legal") roles=legal;; "Fred Finance") roles=finance;; *) roles=viewer;; \
		esac; \
		printf '          %-16s %s   (%s)\n' "$$who" "$$pw" "$$roles"; \
	done < $(PASSWORDS); \
	echo "API:      http://$(HOST):$(PORT)/api/v1   (docs: http://$(HOST):$(PORT)/docs)"; \
	echo "Tokens:   $(TOKENS) (Jane Doe, and an intake token)"; \
	echo "Try:      . $(TOKENS); curl -H \"Authorization: Bearer \$$WARROOM_TOKEN\" http://$(HOST):$(PORT)/api/v1/incidents/$(INC)"; \
	echo
	$(DEMO_ENV) WARROOM_SOURCES_FILE=$(SOURCES) WARROOM_LOG_FORMAT=text \
		$(BIN)/warroom serve --host $(HOST) --port $(PORT)

# Debian packages the tests drive for real (PostgreSQL, Chromium, Alertmanager, ...):
# installed when missing, each named with why in the script.
system-packages:
	bash scripts/install-test-packages.sh

test: $(STAMP) system-packages
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/impact_bench.py
	$(BIN)/python benchmarks/api_bench.py
	$(BIN)/python benchmarks/scale_bench.py
	$(BIN)/python benchmarks/status_bench.py
	$(BIN)/python benchmarks/notify_bench.py
	$(BIN)/python benchmarks/intake_bench.py
	$(BIN)/python benchmarks/startup_bench.py

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks scripts
	$(BIN)/ruff format --check src tests examples benchmarks scripts
	$(BIN)/mypy

clean:
	rm -rf $(DEMO) warroom.db test-artifacts

docs: $(STAMP)
	$(BIN)/python scripts/cli_docs.py docs/cli.md
	$(BIN)/python scripts/openapi.py docs/openapi.json
