#!/bin/sh
# Deploy one image tag to one environment in two steps, so what a person approves is
# exactly what is applied:
#   TF_STATE_BUCKET=<bucket> deploy/deploy.sh plan  <staging|prod> <image-tag>
#     terraform plan saved to deploy-plans/<env>.tfplan, readable in <env>.plan.txt;
#     under Buildkite both are uploaded as artifacts and the plan is shown as an
#     annotation of the build (the block step before prod points at it).
#   TF_STATE_BUCKET=<bucket> deploy/deploy.sh apply <staging|prod> <image-tag>
#     migrate the schema on the new image, apply exactly the saved plan (under
#     Buildkite, downloaded from this build's artifacts), wait for the services.
# Terraform refuses a saved plan once the state changed after it was made: then plan
# again. Needs terraform, the AWS CLI, python3 and credentials for the environment's
# account; the non-secret variables live in terraform/envs/<env>/terraform.tfvars.
set -eu
action=$1 env=$2 tag=$3
dir="terraform/envs/$env"
plans="deploy-plans"
plan="$plans/$env.tfplan"
tf() { terraform -chdir="$dir" "$@"; }
in_buildkite() { [ -n "${BUILDKITE:-}" ] && command -v buildkite-agent >/dev/null; }

tf init -input=false -lockfile=readonly -backend-config="bucket=$TF_STATE_BUCKET"
mkdir -p "$plans"

case "$action" in
  plan)
    tf plan -input=false -var "image_tag=$tag" -out="$PWD/$plan"
    tf show -no-color "$PWD/$plan" > "$plans/$env.plan.txt"
    if in_buildkite; then
      buildkite-agent artifact upload "$plan"
      buildkite-agent artifact upload "$plans/$env.plan.txt"
      summary=$(grep -E '^(Plan:|No changes\.)' "$plans/$env.plan.txt" || echo "see the artifact")
      {
        printf '### Terraform plan for %s (%s)\n\n%s\n\n' "$env" "$tag" "$summary"
        printf '<details><summary>the whole plan</summary>\n\n```\n'
        head -c 900000 "$plans/$env.plan.txt"
        printf '\n```\n</details>\n'
      } | buildkite-agent annotate --style info --context "plan-$env"
    fi
    echo "plan saved: $plan ($(grep -E '^(Plan:|No changes\.)' "$plans/$env.plan.txt" || true))"
    ;;
  apply)
    if [ ! -f "$plan" ] && in_buildkite; then
      buildkite-agent artifact download "$plan" .
    fi
    [ -f "$plan" ] || { echo "no saved plan $plan: run '$0 plan $env $tag' first" >&2; exit 1; }

    # 1. Migrate on the new image: a revision of the migrate task registered outside
    #    Terraform (its state must stay as planned), run to completion, then retired.
    family=$(tf output -raw migrate_task_definition) || {
      echo "no migrate task definition yet: see docs/deployment.md step 7" >&2; exit 1; }
    image="$(tf output -raw ecr_repository_url):$tag"
    cluster=$(tf output -raw cluster_name)
    subnets=$(tf output -json private_subnet_ids | tr -d '[]" ')
    sg=$(tf output -raw task_security_group_id)
    aws ecs describe-task-definition --task-definition "$family" \
      --query taskDefinition --output json \
      | python3 deploy/retag_task_definition.py "$image" > "$plans/$env.migrate.json"
    revision=$(aws ecs register-task-definition --cli-input-json "file://$plans/$env.migrate.json" \
      --query taskDefinition.taskDefinitionArn --output text)
    task=$(aws ecs run-task --cluster "$cluster" --launch-type FARGATE \
      --task-definition "$revision" \
      --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$sg],assignPublicIp=DISABLED}" \
      --query 'tasks[0].taskArn' --output text)
    aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"
    code=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
      --query 'tasks[0].containers[0].exitCode' --output text)
    aws ecs deregister-task-definition --task-definition "$revision" >/dev/null
    [ "$code" = "0" ] || { echo "migration task $task exited with $code" >&2; exit 1; }

    # 2. Exactly the approved plan: task definitions, services roll (circuit breaker
    #    rolls back), alarms, everything else.
    tf apply -input=false "$PWD/$plan"
    aws ecs wait services-stable --cluster "$cluster" --services webserver daemon code-location
    echo "deployed $tag to $env"
    ;;
  *) echo "usage: $0 plan|apply <staging|prod> <image-tag>" >&2; exit 2 ;;
esac
