//! The OpenAPI 3 description of the function's contract, served at
//! `GET /functions/v1/workflow-sync/openapi.json`.

use flowpulse_core::contract::{ACTIONS, MAX_BODY_BYTES};
use serde_json::{json, Value};

use crate::http::{FUNCTION_PATH, HEALTH_PATH, OPENAPI_PATH};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

/// The document.
pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "FlowPulse workflow-sync",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Syncs n8n workflows and executions into FlowPulse. The caller's JWT is \
                forwarded to PostgREST, so row-level security scopes every action to the caller; \
                a service_role token covers all users."
        },
        "paths": {
            FUNCTION_PATH: {
                "post": {
                    "summary": "Run a sync action",
                    "security": [{"bearerAuth": []}],
                    "requestBody": {
                        "required": true,
                        "description": format!("At most {MAX_BODY_BYTES} bytes."),
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SyncRequest"}}}
                    },
                    "responses": {
                        "200": {
                            "description": "The run finished; `ok` is false if any provider did not end in `success`.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SyncResponse"}}}
                        },
                        "400": error_response("Bad JSON, missing or unknown action (the message lists the valid ones), or invalid fields."),
                        "401": error_response("missing_token, invalid_token or expired_token."),
                        "403": error_response("A valid token whose role may not sync (e.g. anon)."),
                        "404": error_response("The provider or workflow does not exist or is not the caller's."),
                        "405": error_response("Wrong method; see the Allow header."),
                        "413": error_response("Body larger than 64 KiB."),
                        "422": error_response("deploy_workflow: the conversation has no plan yet, or it does not validate (the message lists the problems); remove_workflow: the workflow was not built in FlowPulse; retry_execution: the execution did not fail."),
                        "500": error_response("Internal error; details only in the function's logs."),
                        "502": error_response("Every requested provider's n8n was unreachable (n8n_unreachable, the message names them), or n8n refused a deploy or remove (deploy_failed, the message says what to check; nothing half-created is left) or a retry (n8n_refused).")
                    }
                },
                "options": {"summary": "CORS preflight", "responses": {"204": {"description": "Preflight accepted."}}}
            },
            HEALTH_PATH: {
                "get": {
                    "summary": "Liveness",
                    "responses": {"200": {"description": "Up.", "content": {"application/json": {"schema": {
                        "type": "object",
                        "properties": {
                            "status": {"type": "string", "enum": ["ok"]},
                            "service": {"type": "string"},
                            "configured": {"type": "boolean", "description": "All required bindings are present and valid."}
                        }
                    }}}}}
                }
            },
            OPENAPI_PATH: {
                "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3 document."}}}
            }
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (HS256)"}
            },
            "schemas": {
                "SyncRequest": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/SyncAllWorkflows"},
                        {"$ref": "#/components/schemas/SyncWorkflow"},
                        {"$ref": "#/components/schemas/CleanupWorkflows"},
                        {"$ref": "#/components/schemas/DeployWorkflow"},
                        {"$ref": "#/components/schemas/RemoveWorkflow"},
                        {"$ref": "#/components/schemas/RetryExecution"}
                    ],
                    "discriminator": {"propertyName": "action"}
                },
                "SyncAllWorkflows": {
                    "type": "object",
                    "required": ["action"],
                    "additionalProperties": false,
                    "properties": {
                        "action": {"type": "string", "enum": [ACTIONS[0]]},
                        "provider_id": {"type": "string", "format": "uuid", "nullable": true,
                            "description": "Only this provider; default: every provider the caller can see."}
                    }
                },
                "SyncWorkflow": {
                    "type": "object",
                    "required": ["action", "workflow_id"],
                    "additionalProperties": false,
                    "properties": {
                        "action": {"type": "string", "enum": [ACTIONS[1]]},
                        "workflow_id": {"type": "string", "format": "uuid", "description": "mvp_workflows.id"}
                    }
                },
                "CleanupWorkflows": {
                    "type": "object",
                    "required": ["action"],
                    "additionalProperties": false,
                    "properties": {
                        "action": {"type": "string", "enum": [ACTIONS[2]]},
                        "dry_run": {"type": "boolean", "nullable": true,
                            "description": "Report without changing anything. Default: true for users, false for service_role."}
                    }
                },
                "DeployWorkflow": {
                    "type": "object",
                    "required": ["action", "conversation_id", "provider_id"],
                    "additionalProperties": false,
                    "properties": {
                        "action": {"type": "string", "enum": [ACTIONS[3]]},
                        "conversation_id": {"type": "string", "format": "uuid",
                            "description": "conversations.id: its current plan is deployed."},
                        "provider_id": {"type": "string", "format": "uuid",
                            "description": "The target instance (providers.id)."},
                        "activate": {"type": "boolean", "nullable": true,
                            "description": "Activate (true) or deactivate (false) after deploying; default: leave it (new workflows are inactive)."}
                    }
                },
                "RemoveWorkflow": {
                    "type": "object",
                    "required": ["action", "workflow_id"],
                    "additionalProperties": false,
                    "properties": {
                        "action": {"type": "string", "enum": [ACTIONS[4]]},
                        "workflow_id": {"type": "string", "format": "uuid",
                            "description": "mvp_workflows.id of a workflow built in FlowPulse's chat."}
                    }
                },
                "RetryExecution": {
                    "type": "object",
                    "required": ["action", "execution_id"],
                    "additionalProperties": false,
                    "properties": {
                        "action": {"type": "string", "enum": [ACTIONS[5]]},
                        "execution_id": {"type": "integer", "format": "int64",
                            "description": "executions.id of a failed (error, crashed or canceled) execution; n8n retries it with the workflow's current version."}
                    }
                },
                "RetryReport": {
                    "type": "object",
                    "required": ["execution_id", "retry_n8n_execution_id", "status"],
                    "properties": {
                        "execution_id": {"type": "integer", "format": "int64"},
                        "retry_n8n_execution_id": {"type": "integer", "format": "int64"},
                        "status": {"type": "string", "enum": ["canceled", "crashed", "error", "new", "running", "success", "unknown", "waiting"]}
                    }
                },
                "DeploymentReport": {
                    "type": "object",
                    "required": ["name", "outcome", "active"],
                    "properties": {
                        "deployment_id": {"type": "string", "format": "uuid", "nullable": true},
                        "workflow_id": {"type": "string", "format": "uuid", "nullable": true},
                        "n8n_workflow_id": {"type": "string", "nullable": true},
                        "name": {"type": "string", "description": "[USR-<8 hex>] <title>"},
                        "outcome": {"type": "string", "enum": ["created", "updated", "unchanged", "in_progress", "removed"]},
                        "active": {"type": "boolean"},
                        "credentials_created": {"type": "array", "items": {"type": "string"},
                            "description": "Credentials created (or re-created after an edit) in the target n8n, by name."}
                    }
                },
                "SyncResponse": {
                    "type": "object",
                    "required": ["ok", "action", "results", "sync_log_ids"],
                    "properties": {
                        "ok": {"type": "boolean"},
                        "action": {"type": "string", "enum": ACTIONS},
                        "results": {"type": "array", "items": {"$ref": "#/components/schemas/ProviderResult"}},
                        "sync_log_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                        "cleanup": {"$ref": "#/components/schemas/CleanupReport"},
                        "deployment": {"$ref": "#/components/schemas/DeploymentReport"},
                        "retry": {"$ref": "#/components/schemas/RetryReport"}
                    }
                },
                "ProviderResult": {
                    "type": "object",
                    "required": ["provider_id", "provider", "status", "workflows_synced", "executions_synced", "duration_ms"],
                    "properties": {
                        "provider_id": {"type": "string", "format": "uuid"},
                        "provider": {"type": "string"},
                        "status": {"type": "string", "enum": ["success", "partial", "error"]},
                        "workflows_synced": {"type": "integer", "minimum": 0},
                        "executions_synced": {"type": "integer", "minimum": 0},
                        "duration_ms": {"type": "integer", "minimum": 0},
                        "error": {"type": "string"}
                    }
                },
                "CleanupWorkflow": {
                    "type": "object",
                    "properties": {
                        "provider_id": {"type": "string", "format": "uuid"},
                        "n8n_workflow_id": {"type": "string"},
                        "name": {"type": "string"}
                    }
                },
                "CleanupReport": {
                    "type": "object",
                    "properties": {
                        "dry_run": {"type": "boolean"},
                        "archived_workflows": {"type": "array", "items": {"$ref": "#/components/schemas/CleanupWorkflow"}},
                        "deleted_n8n_workflows": {"type": "array", "items": {"$ref": "#/components/schemas/CleanupWorkflow"}},
                        "pruned_sync_logs": {"type": "integer"},
                        "pruned_executions": {"type": "integer"}
                    }
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
                    }}
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_every_path_and_action() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.0.3");
        for path in [FUNCTION_PATH, HEALTH_PATH, OPENAPI_PATH] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        let text = doc.to_string();
        for action in ACTIONS {
            assert!(text.contains(action), "{action}");
        }
        for status in ["400", "401", "405", "413", "422", "500", "502"] {
            assert!(doc["paths"][FUNCTION_PATH]["post"]["responses"][status].is_object());
        }
    }
}
