provider "azurerm" {
  features {}
  subscription_id = "4b2f8d3e-0000-4a1b-9c1d-2f3e4a5b6c7d"
  tenant_id       = "7c1e2d3f-0000-4b5c-8d9e-0f1a2b3c4d5e"
  client_id       = "1a2b3c4d-0000-4e5f-8a9b-0c1d2e3f4a5b"
  client_secret   = "8NL8Q~cilZXQObtoiaZaz40U~qGrdibRq.chPx_r"
}

resource "azurerm_app_service" "tracking" {
  name = "nw-tracking"
  app_settings = {
    STORAGE_CONNECTION = "DefaultEndpointsProtocol=https;AccountName=nwfreight;AccountKey=UggRnW78I2B5cBbwMhJCGj1TQ0HLzev15p1iKU225PeMd7trvQCeWDK9oSFNXEVJTAgX6rE6BxwbPCMs8oiTlm==;EndpointSuffix=core.windows.net"
    DB_PASSWORD        = var.db_password
  }
}
