#!/bin/sh
# Deploy one image tag to one environment: migrate the schema with the new image, then
# roll the ECS services and the run task definition onto it.
#   TF_STATE_BUCKET=<bucket> deploy/deploy.sh <staging|prod> <image-tag>
# Needs terraform, the AWS CLI and credentials for the environment's account; the
# environment's non-secret variables live in terraform/envs/<env>/terraform.tfvars.
set -eu
env=$1 tag=$2
dir="terraform/envs/$env"
tf() { terraform -chdir="$dir" "$@"; }

tf init -input=false -backend-config="bucket=$TF_STATE_BUCKET"

# 1. The migration task definition first, on the new image, and run it to completion.
tf apply -input=false -auto-approve -var "image_tag=$tag" \
  -target=module.platform.module.dagster.aws_ecs_task_definition.migrate
cluster=$(tf output -raw cluster_name)
subnets=$(tf output -json private_subnet_ids | tr -d '[]" ')
sg=$(tf output -raw task_security_group_id)
task=$(aws ecs run-task --cluster "$cluster" --launch-type FARGATE \
  --task-definition "$(tf output -raw migrate_task_definition)" \
  --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$sg],assignPublicIp=DISABLED}" \
  --query 'tasks[0].taskArn' --output text)
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"
code=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
  --query 'tasks[0].containers[0].exitCode' --output text)
[ "$code" = "0" ] || { echo "migration task $task exited with $code" >&2; exit 1; }

# 2. Everything else: new task definitions, services roll (circuit breaker rolls back).
tf apply -input=false -auto-approve -var "image_tag=$tag"
aws ecs wait services-stable --cluster "$cluster" --services webserver daemon code-location
echo "deployed $tag to $env"
