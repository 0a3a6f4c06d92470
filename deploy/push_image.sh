#!/bin/sh
# Push the image of this commit to an environment's ECR repository.
#   deploy/push_image.sh build <repository-url> <tag>    build here and push
#   deploy/push_image.sh promote <from-url> <to-url> <tag>  copy a tested image as is
# Tags are immutable in ECR: a tag already there is left as it is (a retried step
# succeeds instead of failing on the push). The agent's AWS credentials decide which
# account is reached.
set -eu
login() { aws ecr get-login-password | docker login --username AWS --password-stdin "${1%%/*}"; }
# <account>.dkr.ecr.<region>.amazonaws.com/<name>: is <name>:<tag> already there?
pushed() {
  aws ecr describe-images --registry-id "${1%%.*}" --repository-name "${1#*/}" \
    --image-ids imageTag="$2" >/dev/null 2>&1
}
case "$1" in
  build)
    repo=$2 tag=$3
    if pushed "$repo" "$tag"; then echo "$repo:$tag is already pushed"; exit 0; fi
    login "$repo"
    docker build --pull -t "$repo:$tag" .
    docker push "$repo:$tag"
    ;;
  promote)
    from=$2 to=$3 tag=$4
    if pushed "$to" "$tag"; then echo "$to:$tag is already promoted"; exit 0; fi
    login "$from"
    docker pull "$from:$tag"
    docker tag "$from:$tag" "$to:$tag"
    login "$to"
    docker push "$to:$tag"
    ;;
  *) echo "usage: $0 build REPO TAG | promote FROM TO TAG" >&2; exit 2 ;;
esac
